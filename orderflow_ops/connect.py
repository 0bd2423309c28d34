"""Kafka Connect connectors declared in the repo (stack/connect/<name>.json), applied at start.

`PUT /connectors/<name>/config` creates the connector or updates it to the file, so applying
is idempotent. The worker answers 409 while it rebalances and 5xx until it has joined its
group, so every put retries until its deadline. `apply` then waits until the connector and
all its tasks run (failing with the task's error); `keep_running`, the stack's process,
then restarts any task that fails.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from orderflow_ops.settings import OpsSettings
from orderflow_platform.logs import configure_logging, get_logger
from orderflow_platform.shutdown import Shutdown

CONNECTORS_DIR = Path(__file__).resolve().parent.parent / "stack" / "connect"
AUDIT_CONNECTOR = "audit-sink"
POLL_SECONDS = 0.5
WATCH_SECONDS = 5.0

log = get_logger(__name__)


class ConnectorError(RuntimeError):
    pass


@dataclass(frozen=True)
class ConnectorState:
    connector: str
    tasks: list[str]
    trace: str

    @property
    def cause(self) -> str:
        """The innermost exception of a failed task's trace: what actually went wrong."""
        causes = [line for line in self.trace.splitlines() if line.startswith("Caused by:")]
        return causes[-1] if causes else self.trace.partition("\n")[0]

    @property
    def running(self) -> bool:
        return self.connector == "RUNNING" and bool(self.tasks) and all(t == "RUNNING" for t in self.tasks)


def connector_config(name: str, folder: Path = CONNECTORS_DIR) -> dict[str, str]:
    config: dict[str, str] = json.loads((folder / f"{name}.json").read_text())
    return config


def state(http: httpx.Client, name: str) -> ConnectorState | None:
    """The connector's state, or None when the worker does not know it."""
    answer = http.get(f"/connectors/{name}/status")
    # Connect's own 404 is JSON; a starting worker's web server answers 404 in HTML before
    # the API is mounted, which says nothing about the connector.
    if answer.status_code == httpx.codes.NOT_FOUND and "json" in answer.headers.get("content-type", ""):
        return None
    answer.raise_for_status()
    body: dict[str, Any] = answer.json()
    tasks = body.get("tasks", [])
    return ConnectorState(
        connector=body["connector"]["state"],
        tasks=[task["state"] for task in tasks],
        trace="\n".join(task.get("trace", "") for task in tasks if task.get("trace")),
    )


def put_config(
    http: httpx.Client, name: str, config: dict[str, str], deadline_seconds: float = 120.0
) -> None:
    """Creates or updates the connector, retrying while the worker joins its group."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        try:
            answer = http.put(f"/connectors/{name}/config", json=config)
            if answer.is_success:
                return
            problem = f"HTTP {answer.status_code}: {answer.text}"
            # 400 is a config the worker refuses: retrying cannot help.
            if answer.status_code == httpx.codes.BAD_REQUEST:
                raise ConnectorError(f"{name}: {problem}")
        except httpx.TransportError as error:
            problem = str(error)
        if time.monotonic() > deadline:
            raise ConnectorError(f"{name}: not applied within {deadline_seconds}s ({problem})")
        time.sleep(POLL_SECONDS)


def apply(http: httpx.Client, name: str, config: dict[str, str], deadline_seconds: float = 120.0) -> None:
    """Creates or updates the connector, then waits until it and its tasks are RUNNING."""
    deadline = time.monotonic() + deadline_seconds
    put_config(http, name, config, deadline_seconds)
    while True:
        current = state(http, name)
        if current is not None and current.running:
            return
        if current is not None and "FAILED" in current.tasks:
            raise ConnectorError(f"{name}: a task failed\n{current.trace}")
        if time.monotonic() > deadline:
            raise ConnectorError(f"{name}: not RUNNING within {deadline_seconds}s ({current})")
        time.sleep(POLL_SECONDS)


def keep_running(http: httpx.Client, name: str, config: dict[str, str], shutdown: Shutdown) -> None:
    """Applies the connector, then restarts its failed tasks until shutdown.

    Connect never restarts a failed task by itself, and the JDBC sink fails its task when
    Postgres cannot be reached (its flush retries do not cover the table lookup). Without
    this, the audit would stop at the first Postgres outage and stay stopped.
    """
    put_config(http, name, config)
    log.info("connector applied", connector=name)
    while not shutdown.wait(WATCH_SECONDS):
        try:
            current = state(http, name)
            if current is None:
                # Deleted by hand, or the worker's config topic lost: the file is the truth.
                put_config(http, name, config)
                log.warning("connector missing, applied again", connector=name)
            elif "FAILED" in current.tasks:
                http.post(
                    f"/connectors/{name}/restart", params={"includeTasks": "true", "onlyFailed": "true"}
                ).raise_for_status()
                log.warning("failed task restarted", connector=name, cause=current.cause)
        except (httpx.HTTPError, ConnectorError) as error:
            # The worker itself restarting: the next round asks again.
            log.info("worker not answering", connector=name, error=str(error))


def command(settings: OpsSettings, action: str, name: str, overrides: list[str]) -> int:
    """`orderflow connect apply|run [name] [--set key=value]`: the file, with overrides for
    another host. apply returns once it runs; run (the stack's process) keeps it running."""
    if not (CONNECTORS_DIR / f"{name}.json").is_file():
        known = ", ".join(sorted(path.stem for path in CONNECTORS_DIR.glob("*.json")))
        print(f"connect: no connector {name!r} in {CONNECTORS_DIR} (there: {known})", file=sys.stderr)
        return 2
    config = connector_config(name) | dict(item.split("=", 1) for item in overrides)
    with httpx.Client(base_url=settings.connect.url, timeout=10.0) as http:
        try:
            if action == "run":
                configure_logging(settings.logging, f"connect-{name}")
                keep_running(http, name, config, Shutdown().install())
                return 0
            apply(http, name, config)
        except ConnectorError as error:
            print(f"connect: {error}", file=sys.stderr)
            return 1
    print(f"connect: {name} applied, its tasks RUNNING")
    return 0
