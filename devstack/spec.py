"""The declarative stack description (stack/stack.yaml), parsed and ordered."""

from __future__ import annotations

import sys
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
STACK_FILE = ROOT / "stack" / "stack.yaml"


class Probe(BaseModel):
    """How to tell that a process is ready: exactly one of the fields is set."""

    model_config = ConfigDict(extra="forbid")

    http: str | None = None
    tcp: str | None = None
    kafka: str | None = None
    grpc: str | None = None
    # A Kafka Connect worker's REST base URL: ready once it runs connectors, all RUNNING.
    connect: str | None = None
    exec: list[str] | None = None


class Process(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = ""
    command: list[str]
    prepare: list[str] | None = None
    oneshot: bool = False
    depends_on: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    user: str | None = None
    ready: Probe | None = None
    stop_seconds: Annotated[int, Field(gt=0)] = 30


class Stack(BaseModel):
    model_config = ConfigDict(extra="forbid")

    processes: dict[str, Process]

    def ordered(self, wanted: list[str] | None = None) -> list[Process]:
        """The wanted processes and everything they depend on, dependencies first."""
        graph = TopologicalSorter({name: p.depends_on for name, p in self.processes.items()})
        order = list(graph.static_order())
        if not wanted:
            return [self.processes[name] for name in order]
        needed: set[str] = set()
        pending = list(wanted)
        while pending:
            name = pending.pop()
            if name not in self.processes:
                raise KeyError(f"no process named {name!r} in {STACK_FILE.name}")
            if name not in needed:
                needed.add(name)
                pending.extend(self.processes[name].depends_on)
        return [self.processes[name] for name in order if name in needed]

    def services(self) -> list[Process]:
        """The long-running processes (supervised), in start order."""
        return [p for p in self.ordered() if not p.oneshot]


# One spelling of the interpreter, whichever of python/python3 started devstack: supervisord
# treats a changed command as a changed program and would restart it.
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = VENV_PYTHON if VENV_PYTHON.exists() else Path(sys.executable)


def expand(text: str) -> str:
    return text.format(root=ROOT, var=VAR, python=PYTHON)


def load(path: Path = STACK_FILE) -> Stack:
    raw = yaml.safe_load(path.read_text())
    for name, entry in raw["processes"].items():
        entry["name"] = name
    stack = Stack.model_validate(raw)
    for process in stack.processes.values():
        process.command = [expand(arg) for arg in process.command]
        process.prepare = [expand(arg) for arg in process.prepare] if process.prepare else None
        process.env = {key: expand(value) for key, value in process.env.items()}
        if process.ready and process.ready.exec:
            process.ready.exec = [expand(arg) for arg in process.ready.exec]
    return stack
