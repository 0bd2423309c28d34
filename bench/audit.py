"""Audit sink throughput and the Connect worker's memory, against the running stack.

    .venv/bin/python -m bench.audit --events 100000

OrderCreated events (V1-shaped and V2, half each) are appended to a fresh topic; then a
connector of their own, the audit sink's config pointed at that topic, drains the backlog
into a table of its own in schema audit, through the live worker and the project's
converter. The clock runs from the first row in the table to the last; the worker's RSS is
sampled meanwhile. The connector, its table and the topic are removed afterwards; the live
audit connector and its tables are untouched (it shares the worker and the machine).
"""

from __future__ import annotations

import argparse
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg
from confluent_kafka.admin import NewTopic
from psycopg import sql

from bench.aggregator import append_orders
from devstack import supervisor
from orderflow_ops import connect
from orderflow_ops.settings import OpsSettings
from orderflow_platform.kafka import clients

PARTITIONS = 6


def writer_dsn(config: dict[str, str]) -> str:
    """The sink's own role, from its JDBC URL: the bench drops the table it made."""
    url = urlsplit(config["connection.url"].removeprefix("jdbc:"))
    user, password = config["connection.username"], config["connection.password"]
    return f"postgresql://{user}:{password}@{url.hostname}:{url.port}{url.path}"


def worker_rss_mib() -> float:
    pid = supervisor.rpc().getProcessInfo("connect")["pid"]
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS for the connect worker")


def run(settings: OpsSettings, events: int) -> None:
    name = f"bench-audit-{uuid.uuid4().hex[:8]}"
    # The sink names a table after its topic, dots made underscores.
    topic = f"{name}.orders"
    table = topic.replace(".", "_")
    config = connect.connector_config(connect.AUDIT_CONNECTOR) | {"topics": topic}
    admin = clients.admin_client(settings.kafka)
    admin.create_topics([NewTopic(topic, PARTITIONS, settings.kafka.replication_factor)])[topic].result(30)
    http = httpx.Client(base_url=settings.connect.url, timeout=30.0)
    rows, first, last, rss = 0, 0.0, 0.0, [worker_rss_mib()]
    try:
        append_orders(settings, topic, events)
        print(f"{events} events on {topic}; worker RSS before: {rss[0]:.0f} MiB")
        connect.apply(http, name, config)
        count = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("audit", table))
        with psycopg.connect(settings.postgres.dsn, autocommit=True) as db:
            deadline = time.monotonic() + 900
            while rows < events and time.monotonic() < deadline:
                exists = db.execute("SELECT to_regclass(%s)", (f"audit.{table}",)).fetchone()
                found = db.execute(count).fetchone() if exists and exists[0] else (0,)
                now = time.monotonic()
                if found and found[0] > rows:
                    first = first or now
                    rows, last = found[0], now
                rss.append(worker_rss_mib())
                time.sleep(0.25)
    finally:
        http.delete(f"/connectors/{name}")
        http.close()
        with psycopg.connect(writer_dsn(config), autocommit=True) as db:
            db.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier("audit", table)))
        admin.delete_topics([topic])[topic].result(30)
    assert rows == events, f"{rows} of {events} rows within the deadline"
    print(f"audit sink: {rows} rows in {last - first:.1f} s = {rows / (last - first):,.0f} rows/s")
    print(f"worker RSS: {rss[0]:.0f} MiB before, {max(rss):.0f} MiB at most while draining (heap -Xmx384m)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=100_000)
    run(OpsSettings(), parser.parse_args().events)


if __name__ == "__main__":
    main()
