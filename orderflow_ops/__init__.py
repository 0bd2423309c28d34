"""Operator tooling above the services: it wires what it needs from them."""
