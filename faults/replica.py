"""A third inventory replica, started beside the two supervised ones and stopped again."""

from __future__ import annotations

import os
import subprocess
import sys

from devstack import ports
from devstack.probes import wait_until_ready
from devstack.spec import ROOT, VAR, Probe

# Ports no process of the stack uses (tests/unit/faults/test_replica.py holds them to it).
PORT = 50055
ADDRESS = f"127.0.0.1:{PORT}"
METRICS_PORT = "9109"
ENV = {
    "INVENTORY_SVC_INSTANCE": "3",
    "INVENTORY_SVC_ADDRESS": ADDRESS,
    "ORDERFLOW_METRICS__PORT": METRICS_PORT,
}
LOG = VAR / "log" / "faults-inventory_svc-3.log"
READY_SECONDS = 90.0
STOP_SECONDS = 20.0


class ExtraReplica:
    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Returns once it has joined the group, rebuilt its partitions and serves gRPC."""
        ports.reserve([PORT])
        with LOG.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "inventory_svc"],
                env={**os.environ, **ENV},
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        process = self._process
        if not wait_until_ready(Probe(grpc=ADDRESS), READY_SECONDS, lambda: process.poll() is None):
            self.stop()
            raise RuntimeError(f"the third replica did not become ready: see {LOG}")

    def stop(self) -> None:
        """SIGTERM, so it leaves the group; SIGKILL if it has not gone in time."""
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(STOP_SECONDS)
        self._process = None
