"""`orderflow connect`: a connector name that has no file is refused by name, before any call."""

from __future__ import annotations

import pytest

from orderflow_ops import connect
from orderflow_ops.settings import OpsSettings


def test_an_unknown_connector_is_named_with_those_there_are(capsys: pytest.CaptureFixture[str]) -> None:
    assert connect.command(OpsSettings(), "apply", "audit", []) == 2
    error = capsys.readouterr().err
    assert "no connector 'audit'" in error
    assert "audit-sink" in error


def test_the_connect_url_is_an_operator_setting_not_a_service_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERFLOW_CONNECT__URL", "http://connect.example:8083")
    assert OpsSettings().connect.url == "http://connect.example:8083"
