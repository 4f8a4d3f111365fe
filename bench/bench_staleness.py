"""How stale can a cached read be? `python -m bench.bench_staleness [--commits 40] [--no-write]`.

Two platforms over one database and one Redis, as two processes would be: a *writer* (an API process)
commits stock changes; a *worker* runs the real worker loop (relay + Redis Streams consumer with the cache
invalidator) over its own in-process cache, which the writer's commit hook cannot reach. For each commit
it records how long until the worker's cache was invalidated from the stream — the bound for a process
that missed the commit-time invalidation. The commit-time path (same process, or a shared Redis cache) is
timed too. Then the near copies of the shared Redis cache: another process (`--near-reader`) holds a copy
of a group, this process invalidates it, and the reader reports when its copy stopped being served (the
pub/sub announcement's delay; both read the system-wide monotonic clock). Writes the `staleness` section
of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from bench.bench_wrk import DOC
from bench.sections import write_section
from commerce.fulfillment.commands import AdjustStock
from commerce.identity.principal import SYSTEM
from infra.bootstrap import bootstrap, seed_fresh_database
from infra.bus.redis_streams import RedisStreamsPublisher
from infra.cache import MISS, MemoryCache, RedisCache
from infra.settings import Settings
from infra.worker import run_worker
from tests.services import run_redis


class TimedCache(MemoryCache):
    """Records when each group was invalidated."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: dict[str, float] = {}
        self.changed = threading.Condition()

    def invalidate(self, groups: Iterable[str]) -> None:
        groups = list(groups)
        super().invalidate(groups)
        with self.changed:
            for group in groups:
                self.seen.setdefault(group, time.perf_counter())
            self.changed.notify_all()


def near_reader(redis_url: str, namespace: str) -> int:
    """The other process: for each `hold <group>` line, keep a near copy, answer `ok`, then watch the copy and
    print the monotonic time at which it was no longer served."""
    cache = RedisCache(redis_url, namespace=namespace)
    deadline = time.monotonic() + 10
    while cache.peek("probe", "k") is MISS and time.monotonic() < deadline:  # wait for the subscription
        cache.get_or_load("probe", "k", int, lambda: 1)
        time.sleep(0.01)
    print("ready", flush=True)
    for line in sys.stdin:
        group = line.split()[1]
        cache.get_or_load(group, "k", int, lambda: 1)
        assert cache.peek(group, "k") == 1
        print("ok", flush=True)
        while cache.peek(group, "k") is not MISS:
            time.sleep(0.0001)
        print(f"{time.monotonic():.6f}", flush=True)
    cache.close()
    return 0


def near_copy_delays(redis_url: str, rounds: int) -> list[float]:
    """Milliseconds from this process's invalidation to another process's near copy being void."""
    namespace = f"staleness{time.monotonic_ns()}"
    writer = RedisCache(redis_url, namespace=namespace)
    reader = subprocess.Popen([sys.executable, "-m", "bench.bench_staleness", "--near-reader", redis_url, namespace],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert reader.stdin is not None and reader.stdout is not None
    delays = []
    try:
        assert reader.stdout.readline().strip() == "ready"
        for i in range(rounds):
            group = f"stock:NEAR-{i}"
            reader.stdin.write(f"hold {group}\n")
            reader.stdin.flush()
            assert reader.stdout.readline().strip() == "ok"
            time.sleep(0.02)
            started = time.monotonic()
            writer.invalidate([group])
            delays.append((float(reader.stdout.readline()) - started) * 1000)
    finally:
        reader.stdin.close()
        reader.wait(timeout=10)
        writer.close()
    return delays


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commits", type=int, default=40)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--near-reader", nargs=2, metavar=("REDIS_URL", "NAMESPACE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.near_reader:
        return near_reader(*args.near_reader)
    started_at = datetime.now(UTC)
    with run_redis() as redis_url, tempfile.TemporaryDirectory() as tmp:
        base = {"data_dir": Path(tmp), "database_url": f"sqlite:///{tmp}/s.db", "bus": "redis",
                "redis_url": redis_url, "embedded_worker": False, "reorder_interval_minutes": 0}
        settings = Settings(_env_file=None, **base)  # type: ignore[call-arg, arg-type]
        seed_fresh_database(settings)
        writer_cache, worker_cache = TimedCache(), TimedCache()
        publisher = RedisStreamsPublisher(redis_url, settings.redis_stream)
        writer = bootstrap(settings, cache=writer_cache, publisher=publisher)
        worker = bootstrap(settings, cache=worker_cache)
        stop = threading.Event()
        loop = threading.Thread(target=run_worker, args=(worker, stop), daemon=True)
        loop.start()
        local_ms, stream_ms = [], []
        try:
            time.sleep(1.0)
            for i in range(args.commits):
                sku = "CAF-001" if i % 2 else "CAF-004"
                group = f"stock:{sku}"
                writer_cache.seen.pop(group, None)
                worker_cache.seen.pop(group, None)
                writer.bus.handle(AdjustStock(sku=sku, warehouse="BOG", delta=1, reason="staleness", actor=SYSTEM))
                committed = time.perf_counter()  # just after the commit (and its hook) returned
                local_ms.append((writer_cache.seen.get(group, committed) - committed) * 1000)
                with worker_cache.changed:
                    worker_cache.changed.wait_for(lambda g=group: g in worker_cache.seen,  # type: ignore[misc]
                                                  timeout=10)
                stream_ms.append((worker_cache.seen.get(group, time.perf_counter()) - committed) * 1000)
                time.sleep(0.05)
        finally:
            stop.set()
            worker.outbox_signal.set()
            loop.join(timeout=10)
            writer.close()
            worker.close()
        near_ms = near_copy_delays(redis_url, args.commits)
    q = statistics.quantiles(stream_ms, n=100)
    nq = statistics.quantiles(near_ms, n=100)
    text = "\n".join([
        "## Read-cache staleness (commit → invalidation)",
        "",
        f"- Date: {started_at:%Y-%m-%d %H:%M} UTC; `python -m bench.bench_staleness --commits {args.commits}`; "
        "SQLite + Redis Streams, the worker loop with its default `MESTOCKER_RELAY_INTERVAL_SECONDS` "
        f"({settings.relay_interval_seconds:g} s); 2-core machine shared with other jobs.",
        "- Commit-time path (the committing process; every process with the shared Redis cache): the "
        f"invalidation runs inside the commit, at most {max(local_ms):.2f} ms after it returned (≤ 0 means before).",
        f"- Event-stream path (a cache the commit hook cannot reach): p50 {q[49]:.0f} ms, p95 {q[94]:.0f} ms, "
        f"max {max(stream_ms):.0f} ms over {len(stream_ms)} commits.",
        "- Near copies of the shared Redis cache in another process (`RedisCache`'s pub/sub announcement): "
        f"p50 {nq[49]:.1f} ms, p95 {nq[94]:.1f} ms, max {max(near_ms):.1f} ms from the invalidation's start "
        f"to the other process no longer serving its copy, over {len(near_ms)} invalidations.",
    ])
    print(text)
    if not args.no_write:
        write_section(DOC, "staleness", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
