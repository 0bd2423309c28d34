"""Structured logging with a trace id: readable in dev, one JSON object a line in prod."""

from __future__ import annotations

import logging
import uuid

import structlog

from orderflow_platform.settings import LoggingSettings


def configure_logging(settings: LoggingSettings, service: str) -> None:
    level = logging.getLevelNamesMapping()[settings.level.upper()]
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if settings.format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)


def new_trace_id() -> str:
    return uuid.uuid4().hex


def bind_trace_id(trace_id: str | None = None) -> str:
    """Binds a trace id (given, or new) to every log line of the current context."""
    trace_id = trace_id or new_trace_id()
    structlog.contextvars.bind_contextvars(trace_id=trace_id)
    return trace_id


def current_trace_id() -> str | None:
    value = structlog.contextvars.get_contextvars().get("trace_id")
    return value if isinstance(value, str) else None


def get_logger(name: str | None = None) -> structlog.typing.FilteringBoundLogger:
    return structlog.get_logger(name)  # type: ignore[no-any-return]
