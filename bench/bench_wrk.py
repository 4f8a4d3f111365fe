"""HTTP throughput from outside the server: wrk against `mestocker serve` on PostgreSQL + Redis.

    python -m bench.bench_wrk [--workers 1 2] [--duration 5] [--connections 16] [--no-write]

Starts a throwaway PostgreSQL and Redis (tests/services.py), seeds a database, tops up the ordered SKU,
then for each worker count starts `mestocker serve --workers N` and `mestocker worker` as their own
processes on a free port and drives them with wrk (2 threads, 16 connections, a few seconds per endpoint,
after a one-second warm-up): `/healthz` (the floor), the cached inventory and catalog reads, `POST
/v1/orders` and a chat turn with the offline model. Writes the `wrk` section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench.databases import seeded_for_servers
from bench.report import machine_facts
from bench.sections import write_section
from tests.services import free_port, run_postgres, run_redis

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "bench" / "wrk" / "request.lua"
DOC = ROOT / "docs" / "benchmarks.md"
MESTOCKER = [sys.executable, "-m", "api.cli"]
PASSWORD = "mestocker-demo"
SELLER = "ventas@cafeorigen.example.co"
BUYER = "laura.gomez@example.co"
ORDER_SKU, WAREHOUSE, TOP_UP = "CAF-004", "BOG", 1_000_000
HIGH_LIMIT = "1000000/minute"


def say(message: str) -> None:
    print(f"[wrk {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Endpoint:
    label: str
    path: str
    method: str = "GET"
    body: str | None = None
    auth: str | None = None  # "seller" / "buyer"
    unique_prefix: str | None = None  # each request its own path (a new chat thread)
    unique_suffix: str = ""


@dataclass
class Result:
    workers: int
    label: str
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    requests: int
    errors: int
    cpu_ms: dict[str, float]  # CPU time per answered request, by process kind (`cpu_by_kind`)


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
KINDS = ("api", "worker", "postgres", "redis")


def _processes() -> dict[int, tuple[int, str, float]]:
    """Every process's (parent pid, name, CPU seconds so far), from one pass over /proc."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:  # gone meanwhile
            continue
        fields = stat.rsplit(")", 1)[1].split()
        found[int(entry)] = (int(fields[1]), stat[stat.index("(") + 1:stat.rindex(")")],
                             (int(fields[11]) + int(fields[12])) / CLOCK_TICKS)
    return found


def cpu_by_kind(api_pid: int, worker_pid: int) -> dict[str, float]:
    """CPU seconds (user + system) used so far by the API processes, the worker, PostgreSQL and Redis, read from
    /proc: which process costs what per request, on a machine whose cores they all share. The API is `api_pid`
    and every process below it (the uvicorn supervisor's worker processes)."""
    processes = _processes()
    children: dict[int, list[int]] = {}
    for pid, (parent, _name, _cpu) in processes.items():
        children.setdefault(parent, []).append(pid)
    api, todo = set(), [api_pid]
    while todo:
        pid = todo.pop()
        api.add(pid)
        todo.extend(children.get(pid, []))
    totals = dict.fromkeys(KINDS, 0.0)
    for pid, (_parent, name, cpu) in processes.items():
        kind = ("api" if pid in api else "worker" if pid == worker_pid else "postgres" if name == "postgres"
                else "redis" if name.startswith("redis-server") else None)
        if kind:
            totals[kind] += cpu
    return totals


ENDPOINTS = [
    Endpoint("`GET /healthz` (floor)", "/healthz"),
    Endpoint("`GET /v1/inventory/CAF-001` (seller)", "/v1/inventory/CAF-001", auth="seller"),
    Endpoint("`GET /v1/products?q=cafe` (catalog)", "/v1/products?q=cafe"),
    Endpoint("`POST /v1/orders` (1 line)", "/v1/orders", method="POST", auth="buyer",
             body=json.dumps({"lines": [{"sku": ORDER_SKU, "quantity": 1}], "warehouse": WAREHOUSE})),
    Endpoint("chat turn (offline model, new thread each)", "/v1/chat/threads/x/messages", method="POST",
             auth="seller", body=json.dumps({"message": "¿cuánto café de nariño hay en bogotá?"}),
             unique_prefix="/v1/chat/threads/wrk-", unique_suffix="/messages"),
]


def environment(data_dir: Path, database_url: str, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MESTOCKER_")}
    env.update({"MESTOCKER_DATA_DIR": str(data_dir), "MESTOCKER_DATABASE_URL": database_url,
                "MESTOCKER_BUS": "redis", "MESTOCKER_REDIS_URL": redis_url,
                "MESTOCKER_RATE_LIMIT_STORAGE_URL": redis_url, "MESTOCKER_JWT_SECRET": "b" * 48,
                "MESTOCKER_EMBEDDED_WORKER": "false", "MESTOCKER_REORDER_INTERVAL_MINUTES": "0",
                "ANONYMIZED_TELEMETRY": "False",
                # The limiter stays on (its Redis round trip is part of every request's cost), with ceilings
                # no benchmark reaches: a 429 would be counted as a fast answer.
                **{f"MESTOCKER_{name}_LIMITS": HIGH_LIMIT for name in ("API", "ANONYMOUS", "CHAT", "WHATSAPP")}})
    return env


def seed(env: dict[str, str]) -> None:
    from commerce.fulfillment.commands import AdjustStock
    from commerce.identity.principal import SYSTEM

    with seeded_for_servers(env) as platform:
        platform.bus.handle(AdjustStock(sku=ORDER_SKU, warehouse=WAREHOUSE, delta=TOP_UP,
                                        reason="benchmark: stock para no agotar", actor=SYSTEM))


@dataclass
class Served:
    base: str
    api_pid: int
    worker_pid: int


@contextlib.contextmanager
def served(env: dict[str, str], workers: int) -> Iterator[Served]:
    port = free_port()
    log_dir = Path(tempfile.gettempdir()) / f"mestocker-wrk-logs-{os.getpid()}"
    log_dir.mkdir(exist_ok=True)
    server_log = (log_dir / f"serve-{workers}.log").open("w")
    worker_log = (log_dir / f"worker-{workers}.log").open("w")
    server = subprocess.Popen([*MESTOCKER, "serve", "--workers", str(workers), "--host", "127.0.0.1",
                               "--port", str(port)], cwd=ROOT, env=env, stdout=server_log, stderr=subprocess.STDOUT)
    worker = subprocess.Popen([*MESTOCKER, "worker"], cwd=ROOT, env=env, stdout=worker_log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        ready = 0
        while ready < 3:  # a few answers in a row: every worker has started
            try:
                ready = ready + 1 if httpx.get(f"{base}/healthz", timeout=2).status_code == 200 else 0
            except httpx.TransportError:
                ready = 0
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start; see {server_log.name}") from None
            time.sleep(0.5)
        time.sleep(2.0 * workers)  # let the last workers finish their lifespans
        yield Served(base, server.pid, worker.pid)
    finally:
        for proc in (server, worker):
            proc.terminate()
        for proc in (server, worker):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        server_log.close()
        worker_log.close()


def tokens(base: str) -> dict[str, str]:
    found = {}
    for name, email in (("seller", SELLER), ("buyer", BUYER)):
        reply = httpx.post(f"{base}/v1/auth/token", data={"username": email, "password": PASSWORD}, timeout=30)
        reply.raise_for_status()
        found[name] = f"Bearer {reply.json()['access_token']}"
    return found


def wrk(base: str, endpoint: Endpoint, auth: dict[str, str], *, seconds: float, connections: int) -> dict[str, float]:
    env = {**os.environ, "WRK_METHOD": endpoint.method}
    if endpoint.body:
        env["WRK_BODY"] = endpoint.body
    if endpoint.auth:
        env["WRK_AUTH"] = auth[endpoint.auth]
    if endpoint.unique_prefix:
        env["WRK_PATH_PREFIX"] = endpoint.unique_prefix
        env["WRK_PATH_SUFFIX"] = endpoint.unique_suffix
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s", "-s", str(SCRIPT),
               base + endpoint.path]
    out = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    line = next(ln for ln in reversed(out.splitlines()) if ln.startswith("{"))
    return json.loads(line)  # type: ignore[no-any-return]


def prime(base: str, endpoint: Endpoint, auth: dict[str, str]) -> None:
    """One request with a long timeout: a first catalog search loads the embedding model, a first turn the graph."""
    path = endpoint.path
    if endpoint.unique_prefix:
        path = f"{endpoint.unique_prefix}prime{endpoint.unique_suffix}"
    headers = {"Authorization": auth[endpoint.auth]} if endpoint.auth else {}
    if endpoint.body:
        headers["Content-Type"] = "application/json"
    reply = httpx.request(endpoint.method, base + path, headers=headers, content=endpoint.body, timeout=300)
    if reply.status_code >= 400:
        raise RuntimeError(f"{endpoint.label}: {reply.status_code} {reply.text[:300]}")


def measure(served: Served, auth: dict[str, str], workers: int, *, seconds: float, connections: int,
            only: list[str] | None = None) -> list[Result]:
    base = served.base
    results = []
    for endpoint in ENDPOINTS:
        if only and "healthz" not in endpoint.path and not any(word in endpoint.label for word in only):
            continue
        for _ in range(workers * 2):  # every worker process, most likely
            prime(base, endpoint, auth)
        wrk(base, endpoint, auth, seconds=1, connections=connections)  # warm-up: caches, pools, JIT of nothing
        before = cpu_by_kind(served.api_pid, served.worker_pid)
        raw = wrk(base, endpoint, auth, seconds=seconds, connections=connections)
        after = cpu_by_kind(served.api_pid, served.worker_pid)
        errors = int(raw["status_errors"] + raw["socket_errors"])
        answered = max(1, raw["requests"] - errors)
        # Only answered requests count: an error (4xx/5xx, a dropped socket) is not throughput.
        result = Result(workers=workers, label=endpoint.label,
                        rps=max(0, raw["requests"] - errors) / (raw["duration_us"] / 1e6),
                        p50_ms=raw["p50_us"] / 1000, p95_ms=raw["p95_us"] / 1000, p99_ms=raw["p99_us"] / 1000,
                        requests=int(raw["requests"]), errors=errors,
                        cpu_ms={k: (after[k] - before[k]) * 1000 / answered for k in KINDS})
        say(f"{workers} worker(s) {endpoint.label}: {result.rps:,.0f} req/s, p95 {result.p95_ms:.1f} ms, "
            f"{result.errors} errors; CPU ms/request " + ", ".join(f"{k} {v:.2f}" for k, v in result.cpu_ms.items()))
        results.append(result)
    return results


def render(results: list[Result], *, seconds: float, connections: int, started: datetime, load: str) -> str:
    facts = dict(machine_facts(None))
    lines = [
        "## External load: wrk against `mestocker serve` (PostgreSQL + Redis)",
        "",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC; command `python -m bench.bench_wrk`; "
        f"wrk 2 threads, {connections} connections, {seconds:g} s per endpoint after a 1 s warm-up, from its "
        "own process; the API (`serve --workers N`) and `mestocker worker` run as separate processes.",
        f"- Machine: {facts.get('CPUs (`nproc`)', '?')} CPUs ({facts.get('CPU model', '?')}), shared with the "
        f"load generator and other jobs; load average before: {load}; commit {facts.get('Git commit', '?')}.",
        "- Reads are served from the Redis read cache (docs/performance.md); orders run the full command path "
        "(idempotency off, one line) on PostgreSQL; the chat turn is the offline model on a new thread each time.",
        "- Every request but `/healthz` pays the rate limiter on Redis (ceilings set out of reach, so the counting "
        "is measured and no 429 is served); Req/s counts answered requests only.",
        "",
        "- CPU ms/request: CPU time (user + system, from /proc) the API processes · `mestocker worker` · "
        "PostgreSQL used during the run, per answered request (wrk and Redis not included; /proc counts in "
        "10 ms ticks).",
        "",
        "| Workers | Request | Req/s | ÷ healthz | p50 ms | p95 ms | p99 ms | Requests | Errors | CPU ms/request |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    floor = {r.workers: r.rps for r in results if "healthz" in r.label}
    for r in results:
        ratio = "—" if "healthz" in r.label else f"{r.rps / floor[r.workers]:.0%}"
        cpu = " · ".join(f"{r.cpu_ms[k]:.2f}" for k in ("api", "worker", "postgres"))
        lines.append(f"| {r.workers} | {r.label} | {r.rps:,.0f} | {ratio} | {r.p50_ms:.1f} | {r.p95_ms:.1f} | "
                     f"{r.p99_ms:.1f} | {r.requests:,} | {r.errors} | {cpu} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--only", nargs="+", help="measure only the endpoints whose label holds one of these "
                        "words (the /healthz floor always)")
    args = parser.parse_args(argv)
    started = datetime.now(UTC)
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    results: list[Result] = []
    with run_postgres() as database_url, run_redis() as redis_url, \
            tempfile.TemporaryDirectory(prefix="mestocker-wrk-") as tmp:
        env = environment(Path(tmp), database_url, redis_url)
        say("seeding PostgreSQL…")
        seed(env)
        for workers in args.workers:
            with served(env, workers) as running:
                results += measure(running, tokens(running.base), workers, seconds=args.duration,
                                   connections=args.connections, only=args.only)
    text = render(results, seconds=args.duration, connections=args.connections, started=started, load=load)
    print(text)
    if not args.no_write:
        write_section(DOC, "wrk", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
