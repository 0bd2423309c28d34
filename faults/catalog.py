"""The faults, one at a time: how each breaks the stack, how long it lasts, how it ends."""

from __future__ import annotations

import xmlrpc.client
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass

from devstack import control, supervisor
from faults.model import Poison, RunIds
from faults.poisoner import poison_every_input
from faults.replica import ExtraReplica
from orderflow_platform.settings import Settings
from tests.integration.helpers import eventually

KILLED = (
    "order_svc",
    "inventory_svc-1",
    "inventory_svc-2",
    "projector",
    "notify_svc",
    "aggregator",
    "rest_guard",
    "envoy",
)
# Past the inventory consumers' 10 s session timeout, so the group moves on without it.
STOPPED_SECONDS = 15.0
OUTAGE_SECONDS = 30.0
# How long the third replica takes part before it leaves again.
EXTRA_REPLICA_SECONDS = 10.0
SHUTDOWN_SECONDS = 30.0


def nothing() -> None:
    """Ends a fault that needs no undoing (supervisord restarts what was killed)."""


@dataclass(frozen=True)
class Fault:
    name: str
    inject: Callable[[], None]
    hold_seconds: float = 0.0
    restore: Callable[[], None] = nothing


def signal(name: str, sig: str) -> Callable[[], None]:
    def send() -> None:
        try:
            supervisor.rpc().signalProcess(name, sig)
        except xmlrpc.client.Fault as fault:
            raise RuntimeError(f"supervisord cannot signal {name}: {fault.faultString}") from fault

    return send


def stop(name: str) -> Callable[[], None]:
    return lambda: control.stop(name)


def fast_stop(name: str) -> Callable[[], None]:
    """SIGINT, Postgres's fast shutdown: supervisord's SIGTERM is its smart one, which waits for
    every client to leave. Exit 0 is expected, so supervisord leaves it down."""

    def stop_now() -> None:
        signal(name, "INT")()
        with suppress(AssertionError):
            eventually(lambda: supervisor.state(name) not in supervisor.ALIVE_STATES, SHUTDOWN_SECONDS)
        control.stop(name)

    return stop_now


def start(name: str) -> Callable[[], None]:
    """Starts it without waiting: the recovery watch times how long it takes to be ready."""

    def begin() -> None:
        if supervisor.state(name) not in supervisor.ALIVE_STATES:
            supervisor.rpc().startProcess(name, False)

    return begin


def catalog(settings: Settings, ids: RunIds, poisoned: list[Poison]) -> list[Fault]:
    """Quick faults first and the slowest to recover last, so a suite out of time skips the least."""
    extra = ExtraReplica()
    return [
        Fault("baseline (no fault)", nothing),
        Fault(
            "poison records on every input topic", lambda: poisoned.extend(poison_every_input(settings, ids))
        ),
        *(Fault(f"kill -9 {name}", signal(name, "KILL")) for name in KILLED),
        Fault("postgres down 30 s", fast_stop("postgres"), OUTAGE_SECONDS, start("postgres")),
        Fault("registry down 30 s", stop("registry"), OUTAGE_SECONDS, start("registry")),
        Fault("third inventory replica added, removed", extra.start, EXTRA_REPLICA_SECONDS, extra.stop),
        Fault(
            "SIGSTOP inventory_svc-1 15 s",
            signal("inventory_svc-1", "STOP"),
            STOPPED_SECONDS,
            signal("inventory_svc-1", "CONT"),
        ),
        Fault("broker restart", stop("kafka"), restore=start("kafka")),
    ]
