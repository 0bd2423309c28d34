"""The order service: validates orders and appends OrderCreated to orders.created."""
