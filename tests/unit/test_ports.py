"""Reserving the stack's listening ports from the kernel's ephemeral range."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from devstack import ports
from devstack.spec import Probe, load


@pytest.fixture
def proc(tmp_path: Path) -> Path:
    (tmp_path / "ip_local_port_range").write_text("32768\t60999\n")
    (tmp_path / "ip_local_reserved_ports").write_text("\n")
    return tmp_path


@pytest.mark.parametrize(
    ("probe", "port"),
    [
        (Probe(grpc="127.0.0.1:50052"), 50052),
        (Probe(tcp="127.0.0.1:2525"), 2525),
        (Probe(kafka="localhost:9092"), 9092),
        (Probe(http="http://127.0.0.1:9000/health/ready"), 9000),
        (Probe(connect="http://127.0.0.1:8083"), 8083),
        (Probe(exec=["pg_isready"]), None),
    ],
)
def test_a_probe_names_the_port_it_knocks_on(probe: Probe, port: int | None) -> None:
    assert ports.probe_port(probe) == port


def test_the_ranges_read_and_write_the_kernels_notation() -> None:
    assert ports.parse_ranges("50051-50053,50060\n") == {50051, 50052, 50053, 50060}
    assert ports.format_ranges([50060, 50052, 50051, 50053, 8000]) == "8000,50051-50053,50060"
    assert ports.parse_ranges("") == set()


def test_only_ports_inside_the_ephemeral_range_are_reserved(proc: Path) -> None:
    assert ports.reserve([9092, 50051, 50052, 50060], proc)
    assert (proc / "ip_local_reserved_ports").read_text() == "50051-50052,50060"


def test_reserving_keeps_what_was_reserved_before(proc: Path) -> None:
    (proc / "ip_local_reserved_ports").write_text("40000-40002\n")
    assert ports.reserve([50055], proc)
    assert ports.parse_ranges((proc / "ip_local_reserved_ports").read_text()) == {40000, 40001, 40002, 50055}


def test_a_read_only_kernel_setting_is_a_warning_not_a_failure(
    proc: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def read_only(_path: Path, _text: str) -> int:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(Path, "write_text", read_only)
    assert not ports.reserve([50051], proc)
    assert "cannot reserve ports 50051" in capsys.readouterr().err


def test_every_grpc_port_of_the_stack_is_among_those_reserved() -> None:
    grpc = {ports.probe_port(p.ready) for p in load().services() if p.ready and p.ready.grpc}
    assert {50051, 50052, 50053, 50054} <= grpc <= ports.listening_ports(load())
