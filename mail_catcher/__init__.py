"""The dev stack's SMTP catcher: every mail it receives is kept as a file for a person to read."""
