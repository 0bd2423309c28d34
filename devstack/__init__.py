"""The native stack: starts the components declared in stack/stack.yaml as local processes."""
