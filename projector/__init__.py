"""projector: turns the order and inventory events into Postgres read models."""
