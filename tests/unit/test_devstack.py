from pathlib import Path
from typing import Any

import pytest

from devstack import supervisor
from devstack.probes import connectors_running
from devstack.spec import STACK_FILE, Stack, load

STACK = """
processes:
  db:
    user: postgres
    command: ["server", "--data", "{var}/db"]
    ready: {tcp: "localhost:5432"}
  db-init:
    oneshot: true
    depends_on: [db]
    command: ["init"]
  broker:
    command: ["java", "-cp", "lib/*", "Main", "100%"]
    env: {OPTS: "-Xmx1g"}
  app:
    depends_on: [db-init, broker]
    command: ["app"]
"""


@pytest.fixture
def stack(tmp_path: Path) -> Stack:
    path = tmp_path / "stack.yaml"
    path.write_text(STACK)
    return load(path)


def test_dependencies_start_first(stack: Stack) -> None:
    names = [p.name for p in stack.ordered()]
    assert names.index("db") < names.index("db-init") < names.index("app")
    assert names.index("broker") < names.index("app")


def test_starting_one_process_brings_only_what_it_needs(stack: Stack) -> None:
    assert [p.name for p in stack.ordered(["db-init"])] == ["db", "db-init"]
    with pytest.raises(KeyError, match="nope"):
        stack.ordered(["nope"])


def test_placeholders_expand_and_oneshots_are_not_supervised(stack: Stack) -> None:
    assert stack.processes["db"].command[-1].endswith("/var/db")
    assert [p.name for p in stack.services()] == [p.name for p in stack.ordered() if p.name != "db-init"]


def test_supervisord_config_escapes_percent_and_applies_user_only_as_root(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("os.geteuid", lambda: 0)
    as_root = supervisor.render(stack)
    assert "command=java -cp lib/* Main 100%%" in as_root
    assert 'environment=PGAPPNAME="broker",OPTS="-Xmx1g"' in as_root
    assert 'environment=PGAPPNAME="app"\n' in as_root
    assert "user=postgres" in as_root
    assert "[program:db-init]" not in as_root
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    assert "user=postgres" not in supervisor.render(stack)


def test_the_project_stack_file_is_valid() -> None:
    project = load(STACK_FILE)
    assert {"postgres", "kafka", "registry"} <= set(project.processes)
    for process in project.services():
        assert process.ready is not None, f"{process.name} has no readiness probe"


def test_a_connect_worker_is_ready_once_it_runs_connectors_and_all_their_tasks() -> None:
    def status(connector: str, *tasks: str) -> dict[str, Any]:
        return {"status": {"connector": {"state": connector}, "tasks": [{"state": t} for t in tasks]}}

    assert not connectors_running({})
    assert connectors_running({"audit-sink": status("RUNNING", "RUNNING", "RUNNING")})
    assert not connectors_running({"audit-sink": status("RUNNING", "RUNNING", "FAILED")})
    assert not connectors_running({"audit-sink": status("RUNNING", "UNASSIGNED")})
    assert not connectors_running({"audit-sink": status("RUNNING")})
    assert not connectors_running({"a": status("RUNNING", "RUNNING"), "b": status("PAUSED")})
