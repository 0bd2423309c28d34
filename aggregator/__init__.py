"""The metrics aggregator: orders per minute of event time, onto metrics.order.rate."""
