"""The inventory service: event-sourced stock and the exactly-once reservation saga."""
