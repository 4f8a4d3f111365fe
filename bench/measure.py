"""Timing primitives: run an operation N times on T threads, keep the wall time and each latency."""

from __future__ import annotations

import logging
import math
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

Operation = Callable[[int], object]


def percentile(values: Sequence[float], pct: int) -> float:
    """The `pct`-th percentile (1–99) of `values`, in their unit; nan when there are none.

    Every published p50/p95/p99 in bench/ comes from here, so the figures are comparable.
    `statistics.quantiles(method="inclusive")` interpolates linearly between the two nearest
    samples (numpy's default method) and treats the samples as the whole population, so the
    result stays within the measured min and max and p50 equals `statistics.median`. The standard
    library suffices (no numpy in the benchmark's import path); nearest-rank would jump by a whole
    sample at the small sample sizes of the chat benchmark.
    """
    if not 1 <= pct <= 99:
        raise ValueError("pct must be an integer percentile between 1 and 99")
    if not values:
        return math.nan
    if len(values) == 1:
        return float(values[0])
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


@dataclass
class Measurement:
    """The outcome of one timed workload."""

    name: str
    concurrency: int
    operations: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    # Successful untimed warm-up operations that ran before the timed batch (for the consistency check).
    untimed_ok: int = 0
    # CPU time this process used during the batch (all threads); ÷ seconds says how CPU-bound it was.
    cpu_seconds: float = 0.0

    @property
    def cpu_share(self) -> float:
        """Process CPU seconds per wall second: ~1 = one core busy in this process, <1 = waiting (I/O, locks)."""
        return self.cpu_seconds / self.seconds if self.seconds > 0 else float("nan")

    @property
    def succeeded(self) -> int:
        return self.operations - sum(self.errors.values())

    @property
    def rate(self) -> float:
        """Successful operations per second of wall time."""
        return self.succeeded / self.seconds if self.seconds > 0 else 0.0

    def percentile_ms(self, pct: int) -> float:
        """A percentile of the latencies (`percentile`), in milliseconds (nan when none)."""
        return percentile(self.latencies, pct) * 1000

    @property
    def p50_ms(self) -> float:
        return self.percentile_ms(50)

    @property
    def mean_ms(self) -> float:
        return sum(self.latencies) / len(self.latencies) * 1000 if self.latencies else float("nan")

    @property
    def p95_ms(self) -> float:
        return self.percentile_ms(95)

    def error_summary(self, limit: int = 3) -> str:
        return "; ".join(f"{count}× {text}" for text, count in self.errors.most_common(limit))


def describe(exc: BaseException) -> str:
    """A short, groupable description of an exception."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:160]}"


def run_concurrently(name: str, operation: Operation, *, operations: int, concurrency: int) -> Measurement:
    """Call `operation(i)` for i in range(operations) from `concurrency` threads; time the whole batch.

    The clock starts when every thread is ready (a barrier) and stops when the last one finishes.
    A failed operation is counted under its exception and does not stop the batch.
    """
    lock = threading.Lock()
    next_index = iter(range(operations))
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    ready = threading.Barrier(concurrency + 1)

    def take() -> int | None:
        with lock:
            return next(next_index, None)

    def worker() -> None:
        local_latencies: list[float] = []
        local_errors: Counter[str] = Counter()
        ready.wait()
        while (index := take()) is not None:
            started = time.perf_counter()
            try:
                operation(index)
            except Exception as exc:
                local_errors[describe(exc)] += 1
            else:
                local_latencies.append(time.perf_counter() - started)
        with lock:
            latencies.extend(local_latencies)
            errors.update(local_errors)

    threads = [threading.Thread(target=worker, name=f"bench-{name}-{n}", daemon=True) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    with count_bus_retries() as retries:
        ready.wait()
        started, cpu_started = time.perf_counter(), time.process_time()
        for thread in threads:
            thread.join()
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    return Measurement(name=name, concurrency=concurrency, operations=operations, seconds=seconds,
                       latencies=latencies, errors=errors, retries=retries.count, cpu_seconds=cpu_seconds)


class _RetryCounter(logging.Handler):
    """Counts the message bus's 'retrying … after transient conflict' log records."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("retrying "):
            self.count += 1


@contextmanager
def count_bus_retries() -> Iterator[_RetryCounter]:
    """Count the bus's transient-conflict retries (SQLite 'database is locked', PG deadlocks) in the block."""
    logger = logging.getLogger("commerce.shared.messagebus")
    counter = _RetryCounter()
    previous_level, previous_propagate = logger.level, logger.propagate
    logger.setLevel(logging.INFO)
    logger.propagate = False  # counted, not printed
    logger.addHandler(counter)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(previous_level)
        logger.propagate = previous_propagate


@dataclass
class Repeated:
    """The same workload timed several times (interleaved with the others); reported by its median run."""

    runs: list[Measurement]

    @property
    def name(self) -> str:
        return self.runs[0].name

    @property
    def concurrency(self) -> int:
        return self.runs[0].concurrency

    @property
    def operations(self) -> int:
        """Operations per run."""
        return self.runs[0].operations

    @property
    def rates(self) -> list[float]:
        return sorted(m.rate for m in self.runs)

    @property
    def rate(self) -> float:
        """Median rate over the runs."""
        return statistics.median(self.rates) if self.rates else math.nan

    @property
    def pooled(self) -> Measurement:
        """All runs' latencies and errors together (percentiles over every operation)."""
        pooled = Measurement(name=self.name, concurrency=self.concurrency,
                             operations=sum(m.operations for m in self.runs),
                             seconds=sum(m.seconds for m in self.runs),
                             retries=sum(m.retries for m in self.runs),
                             cpu_seconds=sum(m.cpu_seconds for m in self.runs),
                             untimed_ok=sum(m.untimed_ok for m in self.runs))
        for m in self.runs:
            pooled.latencies.extend(m.latencies)
            pooled.errors.update(m.errors)
        return pooled

    @property
    def p50_ms(self) -> float:
        return self.pooled.p50_ms

    @property
    def p95_ms(self) -> float:
        return self.pooled.p95_ms

    @property
    def mean_ms(self) -> float:
        return self.pooled.mean_ms

    @property
    def cpu_share(self) -> float:
        return self.pooled.cpu_share

    @property
    def retries(self) -> int:
        return self.pooled.retries

    @property
    def errors(self) -> Counter[str]:
        return self.pooled.errors


def paired_ratio(ours: Repeated, baseline: Repeated) -> float:
    """Median over runs of our rate ÷ the baseline rate timed right before it (pairs share the noise)."""
    ratios = [o.rate / b.rate for o, b in zip(ours.runs, baseline.runs, strict=True) if b.rate]
    return statistics.median(ratios) if ratios else math.nan
