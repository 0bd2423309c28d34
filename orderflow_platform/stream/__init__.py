"""The stream runtime: one consume-process loop, two ways of committing a batch."""
