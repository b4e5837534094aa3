"""Benchmarks run by ``flashsac bench <name>``: each writes JSON and a PNG and prints a one-line summary."""
