"""CPU time of every stack process, read from /proc: before and after a run.

Each supervisord program counts with its whole process tree (Postgres backends, the
JVMs' threads, Envoy's workers): utime + stime of every live process in the tree plus
cutime + cstime, the time of children already exited and reaped inside it.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from devstack import supervisor
from devstack.spec import VAR

TICKS = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")
SUPERVISORD = "supervisord"


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: the fields start after the last ')'.
    return text[text.rindex(")") + 2 :].split()


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = defaultdict(list)
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (fields := _stat_fields(int(entry.name))) is not None:
            children[int(fields[1])].append(int(entry.name))
    return children


def _seconds(fields: list[str], with_reaped_children: bool = True) -> float:
    # Fields 14..17 of stat (utime, stime, cutime, cstime), here from index 11 on.
    ticks = int(fields[11]) + int(fields[12])
    if with_reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICKS


def _tree_seconds(root: int, children: dict[int, list[int]]) -> float:
    total, pending = 0.0, [root]
    while pending:
        pid = pending.pop()
        if (fields := _stat_fields(pid)) is not None:
            total += _seconds(fields)
        pending.extend(children.get(pid, []))
    return total


def stack_pids() -> dict[str, int]:
    """Each running program's pid, and supervisord's own."""
    pids = {info["name"]: int(info["pid"]) for info in supervisor.rpc().getAllProcessInfo() if info["pid"]}
    pidfile = VAR / "run" / "supervisord.pid"
    pids[SUPERVISORD] = int(pidfile.read_text().strip())
    return pids


@dataclass(frozen=True)
class Snapshot:
    per_process: dict[str, float]
    machine_busy: float

    def minus(self, earlier: Snapshot) -> dict[str, float]:
        """CPU seconds per process between the two; a process restarted meanwhile counts from 0."""
        return {
            name: seconds - earlier.per_process.get(name, 0.0)
            if seconds >= earlier.per_process.get(name, 0.0)
            else seconds
            for name, seconds in self.per_process.items()
        }


def _machine_busy_seconds() -> float:
    cpu = (PROC / "stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in cpu[:8])
    return (user + nice + system + irq + softirq + steal) / TICKS


def snapshot(pids: dict[str, int]) -> Snapshot:
    children = _children()
    per_process = {}
    for name, pid in pids.items():
        if name == SUPERVISORD:
            # Its programs count on their own; supervisord is its own process alone.
            fields = _stat_fields(pid)
            per_process[name] = 0.0 if fields is None else _seconds(fields, with_reaped_children=False)
        else:
            per_process[name] = _tree_seconds(pid, children)
    return Snapshot(per_process, _machine_busy_seconds())


def own_seconds() -> float:
    """This process and its reaped children (ghz, the bare server)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system
