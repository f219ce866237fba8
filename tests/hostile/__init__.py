"""Hostile and careless input: every case must fail cleanly (exit 2, nothing lost) or pass."""
