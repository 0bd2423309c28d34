"""What every orderflow service needs once: settings, logging, Kafka serde, shutdown."""
