"""`orderflow replay`: the projector's replay, wired from its bootstrap, with progress shown."""

from __future__ import annotations

import psycopg

from orderflow_platform.settings import Settings
from projector import bootstrap
from projector.entrypoints.consumer import CONSUMER_NAME
from projector.entrypoints.replay import ReplayReport, replay


def command(settings: Settings) -> int:
    with psycopg.connect(settings.postgres.dsn, autocommit=True) as conn:
        report = replay(conn, bootstrap.replay_sources(settings), CONSUMER_NAME, show)
    show(report)
    print(f"skipped {report.skipped} records the projector parks on the DLQ; swapped in:")
    for table, rows in report.rows.items():
        print(f"  {table}: {rows:,} rows")
    return 0


def show(report: ReplayReport) -> None:
    if report.staged and not report.rows:
        print(f"staged {report.events:,} events in {report.seconds:.1f} s; building the read models")
    else:
        print(
            f"replayed {report.events:,} events in {report.seconds:.1f} s ({report.events_per_second:,.0f}/s)"
        )
