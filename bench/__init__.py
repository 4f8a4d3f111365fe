"""Throughput and latency benchmarks: `python -m bench.run [--quick] [--only sqlite|postgres]`.

Not tests: the numbers depend on the machine and on whatever else runs on it. The script writes
them, with the machine's facts and the date, to docs/benchmarks.md.
"""
