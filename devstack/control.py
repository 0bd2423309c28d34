"""Bringing the stack up in dependency order, down in reverse, and one component at a time."""

from __future__ import annotations

import os
import subprocess

from devstack import ports, supervisor
from devstack.probes import answers, wait_until_ready
from devstack.spec import ROOT, Process, Stack, load

READY_SECONDS = 180.0


class StackError(RuntimeError):
    pass


def _tail(name: str, lines: int = 30) -> str:
    path = supervisor.log_path(name)
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _run_step(process: Process, argv: list[str]) -> None:
    log = supervisor.log_path(process.name)
    with log.open("ab") as out:
        result = subprocess.run(
            argv,
            env={**os.environ, **process.env},
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            check=False,
        )
    if result.returncode != 0:
        raise StackError(f"{process.name}: {argv[0]} exited {result.returncode}\n{_tail(process.name)}")


def _start(process: Process) -> None:
    if process.prepare:
        _run_step(process, process.prepare)
    if process.oneshot:
        _run_step(process, process.command)
        return
    if supervisor.state(process.name) not in supervisor.ALIVE_STATES:
        supervisor.rpc().startProcess(process.name, False)
    if process.ready is None:
        return
    ready = wait_until_ready(
        process.ready, READY_SECONDS, lambda: supervisor.state(process.name) in supervisor.ALIVE_STATES
    )
    if not ready:
        raise StackError(
            f"{process.name} is not ready (state {supervisor.state(process.name)}); "
            f"last lines of {supervisor.log_path(process.name)}:\n{_tail(process.name)}"
        )


def up(names: list[str] | None = None, stack: Stack | None = None) -> None:
    """Starts the named processes (default: all) and what they depend on, each once ready."""
    stack = stack or load()
    ports.reserve(ports.listening_ports(stack))
    supervisor.start_daemon(stack)
    for process in stack.ordered(names):
        print(f"  {process.name:<16} starting", flush=True)
        _start(process)
        print(f"  {process.name:<16} ready", flush=True)


def down(stack: Stack | None = None) -> None:
    stack = stack or load()
    if not supervisor.running():
        return
    for process in reversed(stack.services()):
        if supervisor.stop(process.name):
            print(f"  {process.name:<16} stopped", flush=True)
    supervisor.shutdown()


def stop(name: str) -> None:
    supervisor.stop(name)


def kill(name: str) -> None:
    """SIGKILL, as a crash would: supervisord then restarts the component by itself."""
    supervisor.rpc().signalProcess(name, "KILL")


def restart(name: str, stack: Stack | None = None) -> None:
    stop(name)
    up([name], stack)


def status(stack: Stack | None = None) -> list[tuple[str, str, str]]:
    """(name, process state, readiness) for each long-running component."""
    stack = stack or load()
    rows = []
    for process in stack.services():
        state = supervisor.state(process.name) if supervisor.running() else "STOPPED"
        ready = "-" if process.ready is None else ("ready" if answers(process.ready) else "not ready")
        rows.append((process.name, state, ready))
    return rows
