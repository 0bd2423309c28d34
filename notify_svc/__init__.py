"""The notification service: one notice per order outcome, through pluggable sinks."""
