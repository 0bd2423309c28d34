"""Scenarios a port's fake and its real adapter must both pass (run from unit and integration)."""
