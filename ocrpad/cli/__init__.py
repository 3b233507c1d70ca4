"""Command-line entry points: one module per command (bench, train, eval)."""
