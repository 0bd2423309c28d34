"""Benchmarks the project ships; their figures go into the closing notes, never into tests."""
