"""The registry enforces compatibility as schemas evolve (Confluent-compatible API)."""

from __future__ import annotations

from orderflow_ops.registry import RegistryAdmin
from orderflow_platform.settings import Settings

HEADER = 'syntax = "proto3";\npackage test.v1;\n'
V1 = HEADER + "message Thing {\n  string id = 1;\n}\n"
V2_ADDS_A_FIELD = HEADER + "message Thing {\n  string id = 1;\n  int64 amount = 2;\n}\n"
V2_CHANGES_A_TYPE = HEADER + "message Thing {\n  int64 id = 1;\n}\n"


def test_backward_compatible_change_accepted_and_incompatible_refused(
    settings: Settings, unique: str
) -> None:
    registry = RegistryAdmin(settings.registry)
    subject = f"test.things.{unique}-value"
    registry.set_compatibility("BACKWARD", subject)
    assert registry.compatibility(subject) == "BACKWARD"

    assert registry.register(subject, V1).status_code == 200
    assert registry.register(subject, V2_ADDS_A_FIELD).status_code == 200
    refused = registry.register(subject, V2_CHANGES_A_TYPE)
    assert refused.status_code == 409, refused.text
    assert subject in registry.subjects()


def test_global_default_is_transitive(settings: Settings) -> None:
    # Old events are replayed forever, so every new schema must read all past versions.
    assert RegistryAdmin(settings.registry).compatibility() == settings.registry.compatibility
    assert settings.registry.compatibility.endswith("_TRANSITIVE")
