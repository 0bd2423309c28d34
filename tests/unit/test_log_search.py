import pytest

from orderflow_platform.kafka.log_search import partition_for

# Partitions librdkafka's murmur2_random producer chose for these keys on a 6-partition topic.
LIBRDKAFKA_CHOSE = {
    b"a": 4,
    b"ab": 2,
    b"abc": 3,
    b"abcd": 2,
    b"alice": 3,
    b"bob": 0,
    b"user-42": 4,
    "josé@例え.jp".encode(): 1,
    b"x" * 37: 5,
}


@pytest.mark.parametrize(("key", "partition"), LIBRDKAFKA_CHOSE.items())
def test_a_key_maps_to_the_partition_the_producer_chose(key: bytes, partition: int) -> None:
    assert partition_for(key, 6) == partition
