import json

import pytest
import structlog

from orderflow_platform.logs import bind_trace_id, configure_logging, current_trace_id, get_logger
from orderflow_platform.settings import LoggingSettings


@pytest.fixture(autouse=True)
def clean_context() -> None:
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


def test_json_lines_carry_service_and_trace_id(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(LoggingSettings(format="json", level="INFO"), service="order_svc")
    trace_id = bind_trace_id()
    get_logger().info("order accepted", order_id="o-1")
    line = json.loads(capsys.readouterr().out.strip())
    assert line["event"] == "order accepted"
    assert line["service"] == "order_svc"
    assert line["trace_id"] == trace_id == current_trace_id()
    assert line["order_id"] == "o-1"
    assert line["level"] == "info"


def test_a_given_trace_id_is_kept_and_levels_filter(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(LoggingSettings(format="console", level="WARNING"), service="svc")
    assert bind_trace_id("abc123") == "abc123"
    log = get_logger()
    log.info("hidden")
    log.warning("shown")
    out = capsys.readouterr().out
    assert "hidden" not in out
    assert "shown" in out
    assert "trace_id=abc123" in out
