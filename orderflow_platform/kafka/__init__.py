"""Kafka clients wired to the schema registry, and topic provisioning."""
