"""Every Kafka topic orderflow names, declared once: the contract between the services.

`config/topics.yaml` provisions them; `tests/unit/test_topic_names.py` holds the two together,
partition counts of co-partitioned topics included.
"""

from __future__ import annotations

ORDERS_CREATED = "orders.created"
INVENTORY_RESERVED = "inventory.reserved"
INVENTORY_FAILED = "inventory.failed"
INVENTORY_COMMANDS = "inventory.commands"
INVENTORY_STOCK = "inventory.stock"
INVENTORY_LINE_RESULTS = "inventory.line-results"
INVENTORY_PROGRESS = "inventory.progress"
ORDER_RATE = "metrics.order.rate"
AGGREGATOR_WINDOW_ORDERS = "aggregator.window-orders"
AGGREGATOR_WINDOWS = "aggregator.windows"
NOTIFICATIONS_DLQ = "notifications.dlq"
# Kafka Connect's (stack/connect/worker.properties) and the audit sink's dead letters.
CONNECT_CONFIGS = "connect-configs"
CONNECT_OFFSETS = "connect-offsets"
CONNECT_STATUS = "connect-status"
AUDIT_DLQ = "audit.dlq"

# The topics whose undecodable records a stream consumer parks on `<topic>.dlq`.
DEAD_LETTERED = (
    ORDERS_CREATED,
    INVENTORY_RESERVED,
    INVENTORY_FAILED,
    INVENTORY_STOCK,
    INVENTORY_COMMANDS,
    INVENTORY_LINE_RESULTS,
    AGGREGATOR_WINDOW_ORDERS,
    ORDER_RATE,
)

# Topics whose partition N must hold the same keys: one replica owns partition N of each,
# so the counts must be equal (same key, same murmur2 partitioner).
CO_PARTITIONED = (
    # A SKU's commands reach the replica that holds its stock.
    (INVENTORY_COMMANDS, INVENTORY_STOCK),
    # An order's line results and saga state reach its coordinator, the owner of its partition.
    (ORDERS_CREATED, INVENTORY_LINE_RESULTS, INVENTORY_PROGRESS),
    # A window's orders reach the replica that holds its state.
    (AGGREGATOR_WINDOW_ORDERS, AGGREGATOR_WINDOWS),
)


def dead_letters(topic: str) -> str:
    return f"{topic}.dlq"


DECLARED = frozenset(
    {
        ORDERS_CREATED,
        INVENTORY_RESERVED,
        INVENTORY_FAILED,
        INVENTORY_COMMANDS,
        INVENTORY_STOCK,
        INVENTORY_LINE_RESULTS,
        INVENTORY_PROGRESS,
        ORDER_RATE,
        AGGREGATOR_WINDOW_ORDERS,
        AGGREGATOR_WINDOWS,
        NOTIFICATIONS_DLQ,
        CONNECT_CONFIGS,
        CONNECT_OFFSETS,
        CONNECT_STATUS,
        AUDIT_DLQ,
        *(dead_letters(topic) for topic in DEAD_LETTERED),
    }
)
