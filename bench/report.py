"""Machine facts and the Markdown report (printed, and written to docs/benchmarks.md)."""

from __future__ import annotations

import math
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.measure import Measurement, Repeated, paired_ratio
from bench.workloads import RelayResult

BOGOTA = ZoneInfo("America/Bogota")


@dataclass
class ThroughputRow:
    ours: Repeated
    baseline: Repeated

    @property
    def ratio(self) -> float:
        return paired_ratio(self.ours, self.baseline)


@dataclass
class DatabaseResult:
    kind: str
    server_version: str = ""
    setup_seconds: float = 0.0
    skipped: str | None = None
    baselines: list[Repeated] = field(default_factory=list)
    throughput: list[ThroughputRow] = field(default_factory=list)
    latency: list[Measurement] = field(default_factory=list)
    relay: list[RelayResult] = field(default_factory=list)
    statements: dict[str, int] = field(default_factory=dict)  # SQL statements per operation, by workload
    consistency: list[str] | None = None  # problems found after the load; None when not checked


@dataclass
class RunInfo:
    started_utc: datetime
    finished_utc: datetime
    command: str
    quick: bool
    operations: dict[int, int]
    repeats: int
    http_requests: int
    http_clients: int
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    machine: list[tuple[str, str]]


# --- machine facts ---------------------------------------------------------------------------------


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _cpu_model() -> str:
    for line in _read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _ram() -> str:
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            kib = int(line.split()[1])
            return f"{kib / 1024 / 1024:.1f} GiB"
    return "unknown"


def _nproc() -> str:
    try:
        return subprocess.run(["nproc"], capture_output=True, text=True, check=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return str(len(os.sched_getaffinity(0)))


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True,
                             timeout=5, cwd=Path(__file__).resolve().parent.parent)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip()


def machine_facts(postgres_version: str | None) -> list[tuple[str, str]]:
    return [
        ("CPUs (`nproc`)", _nproc()),
        ("CPU model", _cpu_model()),
        ("RAM", _ram()),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", sys.version.split()[0]),
        ("SQLite (Python's sqlite3)", sqlite3.sqlite_version),
        ("PostgreSQL server", postgres_version or "not run"),
        ("Git commit", _git_commit()),
    ]


# --- rendering -------------------------------------------------------------------------------------


def _num(value: float, digits: int = 1) -> str:
    if math.isnan(value):
        return "—"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def _errors(m: Measurement | Repeated) -> str:
    if not m.errors:
        return "0"
    summary = "; ".join(f"{count}× {text}" for text, count in m.errors.most_common(3))
    return f"{sum(m.errors.values())} ({summary})"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def render_database(result: DatabaseResult) -> list[str]:
    title = {"sqlite": "SQLite", "postgres": "PostgreSQL"}.get(result.kind, result.kind)
    lines = [f"### {title}", ""]
    if result.skipped:
        return [*lines, f"Skipped: {result.skipped}", ""]
    lines += [f"{result.server_version}; fresh database migrated and seeded in {result.setup_seconds:.1f} s.", ""]

    runs = len(result.baselines[0].runs) if result.baselines else 0
    lines += [f"**Throughput** (`bus.handle(...)` from threads in one process; {runs} interleaved run(s) of each: "
              "ops/s is the median run, with the slowest–fastest run in brackets; ours ÷ bare is the median of "
              "each run's rate over the baseline run timed just before it; latencies pool every run)", ""]
    rows: list[list[str]] = []

    def stmts(m: Repeated) -> str:
        return str(result.statements.get(m.name, "—"))

    def rate(m: Repeated) -> str:
        spread = f" ({_num(m.rates[0])}–{_num(m.rates[-1])})" if len(m.runs) > 1 else ""
        return _num(m.rate) + spread

    for base in result.baselines:
        rows.append([base.name, str(base.concurrency), str(base.operations), rate(base), "—", "—",
                     _num(base.p50_ms, 2), _num(base.p95_ms, 2), stmts(base), f"{base.cpu_share:.2f}", "—",
                     _errors(base)])
        for row in (r for r in result.throughput if r.baseline is base):
            m = row.ours
            rows.append([m.name, str(m.concurrency), str(m.operations), rate(m), _num(base.rate),
                         f"{row.ratio:.2f}×", _num(m.p50_ms, 2), _num(m.p95_ms, 2), stmts(m), f"{m.cpu_share:.2f}",
                         str(m.retries), _errors(m)])
    lines += _table(["Workload", "Threads", "Ops per run", "Ops/s", "Bare ops/s", "Ours ÷ bare", "p50 ms",
                     "p95 ms", "SQL/op", "CPU ÷ wall", "Bus retries", "Errors"], rows)
    lines.append("")

    if result.latency:
        health = next((m for m in result.latency if "healthz" in m.name), None)
        clients = result.latency[0].concurrency
        lines += [f"**HTTP latency** (uvicorn on loopback, {clients} concurrent clients; `/healthz` is the "
                  "baseline)", ""]
        rows = []
        for req in result.latency:
            versus = (f"{req.p50_ms / health.p50_ms:.1f}×" if health and health.p50_ms and req is not health
                      else "—")
            rows.append([f"`{req.name}`", str(req.operations), _num(req.p50_ms, 2), _num(req.p95_ms, 2),
                         _num(req.mean_ms, 2), versus, _num(req.rate), _errors(req)])
        lines += _table(["Request", "Requests", "p50 ms", "p95 ms", "Mean ms", "p50 ÷ healthz p50", "Req/s",
                         "Errors"], rows)
        lines.append("")

    if result.relay:
        lines += ["**Outbox relay** (`relay.drain()` right after each order run; in-process publisher; events/s "
                  "is the median drain, slowest–fastest in brackets)", ""]
        rows = []
        for consumers in (True, False):
            drains = [r for r in result.relay if r.with_consumers == consumers]
            if not drains:
                continue
            rates = sorted(r.rate for r in drains)
            spread = f" ({_num(rates[0])}–{_num(rates[-1])})" if len(rates) > 1 else ""
            median = statistics.median(rates)
            rows.append([drains[0].label, str(len(drains)), f"{drains[0].events} (of {drains[0].orders} orders)",
                         f"{sum(r.seconds for r in drains) / len(drains):.2f}", _num(median) + spread,
                         str(max(r.pending_after for r in drains))])
        lines += _table(["Drain", "Runs", "Events per drain", "Mean seconds", "Events/s", "Left pending"], rows)
        lines.append("")

    if result.consistency is not None:
        if result.consistency:
            lines += ["**Consistency check: FAILED** — " + "; ".join(result.consistency), ""]
        else:
            lines += ["**Consistency check: ok** — every successful order and reservation (timed, warm-up and "
                      "HTTP) left exactly one more reserved unit and one active reservation, every new order is "
                      "pending payment, and the movement ledger still sums to the stock levels.", ""]
    return lines


def render_results(results: list[DatabaseResult]) -> list[str]:
    lines: list[str] = []
    for result in results:
        lines += render_database(result)
    return lines


def render_document(info: RunInfo, results: list[DatabaseResult], reading: list[str]) -> str:
    bogota = info.started_utc.astimezone(BOGOTA)
    ops = ", ".join(f"{n} operations at {c} thread{'s' if c > 1 else ''}" for c, n in sorted(info.operations.items()))
    ops += f", each timed {info.repeats} time{'s' if info.repeats > 1 else ''} (interleaved)"
    lines = [
        "# Benchmarks",
        "",
        "Throughput of the command path (message bus → unit of work → outbox) against a bare SQLAlchemy "
        "baseline, HTTP latency of a real uvicorn server, and outbox relay speed, on SQLite and PostgreSQL. "
        "These are measurements of one machine on one day, not tests and not promises: rerun them on your own "
        "hardware before drawing conclusions.",
        "",
        "## How to run",
        "",
        "```sh",
        "make bench                                  # = .venv/bin/python -m bench.run (both databases, full)",
        ".venv/bin/python -m bench.run --quick       # ~5× fewer operations, 1 run each: a smoke run",
        ".venv/bin/python -m bench.run --only sqlite # or --only postgres",
        ".venv/bin/python -m bench.run --repeats 5   # timed runs per throughput workload (default 3)",
        ".venv/bin/python -m bench.run --no-write    # print only, leave this file alone (or --output PATH)",
        "```",
        "",
        "Each run creates fresh databases (a SQLite file in a temp dir; a throwaway PostgreSQL server from "
        "`tests/services.py`, skipped with a note if it cannot start), migrates and seeds them, tops up the "
        "stock of the ordered SKUs so nothing runs out, and overwrites this file. The full run takes a few "
        "minutes on 2 cores.",
        "",
        "## This run",
        "",
        f"- Date: {bogota:%Y-%m-%d %H:%M} America/Bogota ({info.started_utc:%Y-%m-%d %H:%M} UTC); "
        f"took {(info.finished_utc - info.started_utc).total_seconds():.0f} s",
        f"- Command: `{info.command}`" + (" (quick mode: NOT the reference numbers)" if info.quick else ""),
        f"- Workload sizes: {ops}; HTTP: {info.http_requests} timed requests per endpoint from "
        f"{info.http_clients} client threads",
        f"- Load average (1/5/15 min) before: {' / '.join(f'{x:.2f}' for x in info.load_before)}; after: "
        f"{' / '.join(f'{x:.2f}' for x in info.load_after)}",
        "",
        "| Machine | |",
        "|---|---|",
        *[f"| {key} | {value} |" for key, value in info.machine],
        "",
        "## What is measured",
        "",
        "- **place order**: `bus.handle(PlaceOrder(...))` as buyer BUY-001 (Laura Gómez), one unit of CAF-004 "
        "at BOG. One transaction: order + line (written once, already payable), the order number, "
        "fulfillment's reservation (ledger row, reservation row, and last the guarded UPDATE of the stock "
        "level), and an outbox row per domain event (one multi-row INSERT).",
        "- **reserve stock**: `bus.handle(ReserveStock(...))` as SYSTEM, one unit of TEC-552 at BOG (cart "
        "reservation): guarded UPDATE, ledger row, reservation row, outbox rows.",
        "- **bare baseline**: the same number of transactions, each one SQLAlchemy Core INSERT into a scratch "
        "table plus a guarded `UPDATE … SET reserved = reserved + 1 WHERE reserved + 1 <= on_hand` of one row, "
        "on an engine built by `infra.db.make_engine` exactly like the platform's (same pool; on SQLite WAL, "
        "`synchronous=NORMAL`, `BEGIN IMMEDIATE`). It is what a reservation minimally costs with no ORM, no "
        "message bus, no events and no outbox.",
        "- Threads share one Python process (and its GIL), like the API's worker threads do. Ops/s counts "
        "successful operations over wall time; p50/p95 are per-operation latencies, from the one percentile "
        "function of every section here (`bench.measure.percentile`: linear interpolation between the two "
        "nearest samples, `statistics.quantiles(method=\"inclusive\")`). *Bus retries* counts the "
        "message bus's automatic retries of transient conflicts (SQLite `database is locked`, PostgreSQL "
        "deadlocks/serialization failures).",
        "- **HTTP**: `create_app(platform, background_worker=False)` under uvicorn in a background thread of "
        "the same process; clients are threads with keep-alive `httpx.Client`s. `GET /v1/inventory/CAF-001` "
        "as admin@mestocker.example.co, `POST /v1/orders` as laura.gomez@example.co with a fresh "
        "`Idempotency-Key` each, and `GET /healthz` (no database, no auth) as the floor.",
        "- **Outbox relay**: `relay.drain()` of the events each order run left in the outbox. After the "
        "single-thread runs with the platform's relay, whose in-process publisher runs the buyer-notification "
        "consumer for every event; after the 16-thread runs with a relay whose publisher has no subscribers "
        "(the pure relay: read a batch, publish, mark published). Both drain the same kind of events.",
        "- **Consistency check**: after everything, the database must show exactly the orders and reservations "
        "that succeeded — no lost or doubled write under concurrency.",
        "",
        "## Results",
        "",
        *render_results(results),
        "## Reading the numbers",
        "",
        *reading,
        "",
    ]
    return "\n".join(lines)
