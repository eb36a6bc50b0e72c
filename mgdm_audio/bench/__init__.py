"""Benchmarks against exact answers (run with ``mgdm bench ...``)."""
