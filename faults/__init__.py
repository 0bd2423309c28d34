"""The fault suite: steady load on the running stack while one fault at a time is injected,
then every invariant of DESIGN.md §4 counted against the topics, read models and mailbox."""
