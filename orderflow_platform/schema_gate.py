"""A producer is ready only once the registry has taken every schema it writes.

A schema the registry refuses (an incompatible change under BACKWARD_TRANSITIVE) would
fail every record; the process says so in its log and a metric, and waits, not ready,
until the registry takes it (a person fixes the schema or the rule).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from prometheus_client import Gauge

from orderflow_platform.backoff import Backoff
from orderflow_platform.kafka import serde
from orderflow_platform.logs import get_logger
from orderflow_platform.shutdown import Shutdown

log = get_logger(__name__)
SCHEMAS_REFUSED = Gauge(
    "orderflow_schemas_refused", "1 while the registry refuses a schema this process writes"
)
REFUSED_RETRY_SECONDS = 10.0


async def schemas_registered(
    codecs: Iterable[tuple[str, serde.ProtobufCodec[Any]]], shutdown: Shutdown
) -> bool:
    """Waits until every schema is registered; False when shutdown came first."""
    pending = list(codecs)
    backoff = Backoff()
    while not shutdown.requested:
        try:
            await asyncio.to_thread(serde.register, pending)
        except serde.SchemaRefused as refused:
            SCHEMAS_REFUSED.set(1)
            log.error("schema refused by the registry; not ready", reason=str(refused))
            await _wait(shutdown, REFUSED_RETRY_SECONDS)
            continue
        except serde.RegistryUnavailable as unavailable:
            log.warning("schema registry unavailable; not ready yet", error=str(unavailable))
            await _wait(shutdown, backoff.next_delay())
            continue
        SCHEMAS_REFUSED.set(0)
        return True
    return False


async def _wait(shutdown: Shutdown, seconds: float) -> None:
    try:
        await asyncio.wait_for(shutdown.wait_async(), seconds)
    except TimeoutError:
        return
