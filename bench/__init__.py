"""Benchmarks: a realistic data generator (bench.generate) and the measurements taken with it."""
