"""Keeping the kernel from handing the stack's listening ports to outgoing connections.

Linux picks a client socket's source port from `ip_local_port_range` (32768-60999 by
default), which holds the gRPC ports 50051-50055 and rest_guard's 50060. While a service
is down — a restart, a crash, `make down && make up` — any outgoing connection may take its
port as a source port, and a long-lived one (a Kafka client's) then keeps the service from
binding for as long as it lives. `ip_local_reserved_ports` takes them out of that range.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from devstack.spec import Probe, Stack

PROC = Path("/proc/sys/net/ipv4")
_ADDRESS_PORT = re.compile(r":(\d+)$")


def probe_port(probe: Probe) -> int | None:
    """The port a readiness probe knocks on, when it knocks on one."""
    for url in (probe.http, probe.connect):
        if url:
            return urlsplit(url).port
    for address in (probe.grpc, probe.tcp, probe.kafka):
        if address and (match := _ADDRESS_PORT.search(address)):
            return int(match.group(1))
    return None


def listening_ports(stack: Stack) -> set[int]:
    return {port for process in stack.services() if process.ready and (port := probe_port(process.ready))}


def parse_ranges(text: str) -> set[int]:
    """`ip_local_reserved_ports`'s own notation, e.g. `50051-50055,50060`."""
    ports: set[int] = set()
    for part in text.replace("\n", "").split(","):
        if not part.strip():
            continue
        low, _, high = part.partition("-")
        ports.update(range(int(low), int(high or low) + 1))
    return ports


def format_ranges(ports: Iterable[int]) -> str:
    ranges: list[str] = []
    for port in sorted(set(ports)):
        if ranges and ranges[-1].rsplit("-", 1)[-1] == str(port - 1):
            ranges[-1] = f"{ranges[-1].split('-')[0]}-{port}"
        else:
            ranges.append(str(port))
    return ",".join(ranges)


def ephemeral_range(proc: Path = PROC) -> range:
    """The source ports the kernel may give a client socket."""
    low, high = (int(bound) for bound in (proc / "ip_local_port_range").read_text().split())
    return range(low, high + 1)


def ephemeral(ports: Iterable[int], proc: Path = PROC) -> set[int]:
    """Those of the ports a client socket could be given as its source port."""
    source_ports = ephemeral_range(proc)
    return {port for port in ports if port in source_ports}


def reserve(ports: Iterable[int], proc: Path = PROC) -> bool:
    """Adds the ports to the reserved ones; False, with a warning, where the kernel setting is
    read-only (an unprivileged container): the stack then runs as before, at the old risk."""
    wanted = ephemeral(ports, proc)
    path = proc / "ip_local_reserved_ports"
    reserved = parse_ranges(path.read_text())
    if wanted <= reserved:
        return True
    try:
        path.write_text(format_ranges(reserved | wanted))
    except OSError as error:
        print(
            f"  warning: cannot reserve ports {format_ranges(wanted)} from the ephemeral range ({error}); "
            "a client connection may take one of them while its service is down",
            file=sys.stderr,
        )
        return False
    return True
