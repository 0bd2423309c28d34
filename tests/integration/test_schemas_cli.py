"""`orderflow schemas`: proto/'s event schemas checked against, and read back from, the live
registry. CI runs the check here, beside `buf breaking` against main."""

from __future__ import annotations

import pytest

from orderflow_ops.cli import main


def test_proto_event_schemas_are_compatible_with_every_registered_version(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["schemas", "register"]) == 0, capsys.readouterr().out
    assert main(["schemas", "check"]) == 0, capsys.readouterr().out
    assert "orders.created-value: compatible with all" in capsys.readouterr().out


def test_the_history_of_orders_created_shows_what_v2_added(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schemas", "history", "orders.created"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("version 1 ") and "+order_id = 1" in lines[0]
    assert any("+currency = 7" in line and "+contact_email = 8" in line for line in lines[1:]), lines
