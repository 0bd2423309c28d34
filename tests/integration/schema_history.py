"""OrderCreated as version 1 was (schemas/history/v1), for writing real V1 records."""

from orderflow_ops.history import order_created

__all__ = ["order_created"]
