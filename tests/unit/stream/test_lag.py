"""The lag gauge, from librdkafka's statistics of a consumer."""

from __future__ import annotations

import json

from prometheus_client import REGISTRY

from orderflow_platform.stream.loop import lag_reporter


def stats(**partition: int) -> str:
    return json.dumps({"topics": {"numbers": {"partitions": {"0": partition, "-1": {"app_offset": -1}}}}})


def lag(group: str) -> float | None:
    labels = {"group": group, "topic": "numbers", "partition": "0"}
    return REGISTRY.get_sample_value("orderflow_consumer_lag", labels)


def test_a_transactional_consumer_lags_by_what_it_has_not_read_of_the_stable_end() -> None:
    # Its producer commits the offsets: the consumer's own committed offset is never known.
    lag_reporter("lag-tx")(stats(app_offset=40, committed_offset=-1001, ls_offset=55, consumer_lag=-1))
    assert lag("lag-tx") == 15


def test_a_partition_not_read_since_assignment_counts_from_its_committed_offset() -> None:
    lag_reporter("lag-idle")(stats(app_offset=-1001, committed_offset=30, ls_offset=32))
    assert lag("lag-idle") == 2


def test_nothing_is_reported_while_the_position_is_unknown() -> None:
    lag_reporter("lag-unknown")(stats(app_offset=-1001, committed_offset=-1001, ls_offset=9))
    assert lag("lag-unknown") is None
