"""supervisord as the process manager of the native stack: config rendering and its RPC API.

supervisord keeps each component in the background with its own log, restarts or
signals one component alone, and stops them all cleanly; we only add ordering and
readiness (see devstack.cli).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import xmlrpc.client
from pathlib import Path
from typing import Any, cast

from supervisor.xmlrpc import SupervisorTransport

from devstack.spec import VAR, Stack

CONF = VAR / "supervisord.conf"
ALIVE_STATES = frozenset({"STARTING", "RUNNING", "BACKOFF"})
SOCKET = VAR / "run" / "supervisor.sock"
LOGS = VAR / "log"


def log_path(name: str) -> Path:
    return LOGS / f"{name}.log"


def _quote(arg: str) -> str:
    # supervisord splits `command` with shlex and expands %(...)s, so escape both.
    escaped = arg.replace("%", "%%")
    if any(c in escaped for c in " '\"\\"):
        return "'" + escaped.replace("'", "'\"'\"'") + "'"
    return escaped


def render(stack: Stack) -> str:
    sections = [
        f"[unix_http_server]\nfile={SOCKET}\nchmod=0700\n",
        f"[supervisord]\nlogfile={LOGS / 'supervisord.log'}\npidfile={VAR / 'run' / 'supervisord.pid'}\n"
        f"directory={VAR.parent}\nchildlogdir={LOGS}\nminfds=10000\n",
        "[rpcinterface:supervisor]\n"
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n",
        f"[supervisorctl]\nserverurl=unix://{SOCKET}\n",
    ]
    as_root = os.geteuid() == 0
    for process in stack.services():
        # libpq names every connection after its program, so pg_stat_activity (and Postgres's
        # CPU per backend) says which service a connection belongs to.
        variables = {"PGAPPNAME": process.name, **process.env}
        env = ",".join(f'{key}="{value.replace("%", "%%")}"' for key, value in variables.items())
        lines = [
            f"[program:{process.name}]",
            "command=" + " ".join(_quote(arg) for arg in process.command),
            f"directory={VAR.parent}",
            "autostart=false",
            # Restart a component that dies on its own; one stopped on purpose stays down.
            "autorestart=unexpected",
            "exitcodes=0",
            "startsecs=2",
            "startretries=3",
            f"stopwaitsecs={process.stop_seconds}",
            "stopasgroup=true",
            "killasgroup=true",
            f"stdout_logfile={log_path(process.name)}",
            "stdout_logfile_maxbytes=50MB",
            "stdout_logfile_backups=2",
            "redirect_stderr=true",
        ]
        lines.append(f"environment={env}")
        if process.user and as_root:
            lines.append(f"user={process.user}")
        sections.append("\n".join(lines) + "\n")
    return "\n".join(sections)


def rpc() -> Any:
    proxy = xmlrpc.client.ServerProxy(
        "http://127.0.0.1", transport=SupervisorTransport(None, None, f"unix://{SOCKET}")
    )
    return proxy.supervisor


def running() -> bool:
    try:
        return cast(str, rpc().getState()["statename"]) == "RUNNING"
    except (OSError, xmlrpc.client.Fault, xmlrpc.client.ProtocolError):
        return False


def start_daemon(stack: Stack) -> None:
    """Starts supervisord with a freshly rendered config, or reloads a running one."""
    for folder in (LOGS, VAR / "run"):
        folder.mkdir(parents=True, exist_ok=True)
    CONF.write_text(render(stack))
    if running():
        # Pick up added or changed programs without touching unchanged, running ones.
        added, changed, removed = rpc().reloadConfig()[0]
        for name in removed + changed:
            stop(name)
            rpc().removeProcessGroup(name)
        for name in added + changed:
            rpc().addProcessGroup(name)
        return
    subprocess.run([sys.executable, "-m", "supervisor.supervisord", "-c", str(CONF)], check=True)
    deadline = time.monotonic() + 15
    while not running():
        if time.monotonic() > deadline:
            raise RuntimeError(f"supervisord did not start: see {LOGS / 'supervisord.log'}")
        time.sleep(0.1)


def state(name: str) -> str:
    try:
        return cast(str, rpc().getProcessInfo(name)["statename"])
    except (OSError, xmlrpc.client.Fault):
        return "ABSENT"


def stop(name: str) -> bool:
    """Stops the program if it is alive (supervisord faults on stopping a stopped one)."""
    if state(name) not in ALIVE_STATES:
        return False
    rpc().stopProcess(name)
    return True


def shutdown() -> None:
    if running():
        rpc().shutdown()
        deadline = time.monotonic() + 60
        while running() and time.monotonic() < deadline:
            time.sleep(0.2)
