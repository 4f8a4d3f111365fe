"""Run the benchmarks: `python -m bench.run [--quick] [--only sqlite|postgres] [--no-write] [--output PATH]`."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import checks, http
from bench.databases import KINDS, Database, postgres_database, sqlite_database
from bench.measure import Measurement, Repeated, describe
from bench.reading import reading_the_numbers
from bench.report import DatabaseResult, RunInfo, ThroughputRow, machine_facts, render_document, render_results
from bench.sections import with_sections
from bench.workloads import (
    BARE,
    WARMUP,
    bare_baseline,
    bare_operation,
    drain_outbox,
    order_operation,
    place_orders,
    reserve_operation,
    reserve_stock,
    scratch_engine,
    statements_per_call,
)
from tests.services import ServiceUnavailable

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "docs" / "benchmarks.md"
# Operations per thread count (full run); --quick divides by QUICK_DIVISOR.
OPERATIONS = {1: 300, 16: 800}
HTTP_REQUESTS = 400
HTTP_CLIENTS = 16
QUICK_DIVISOR = 5
REPEATS = 3


@dataclass(frozen=True)
class Plan:
    operations: dict[int, int]
    repeats: int
    http_requests: int
    http_clients: int


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def bench_database(db: Database, plan: Plan) -> DatabaseResult:
    result = DatabaseResult(kind=db.kind, server_version=db.server_version, setup_seconds=db.setup_seconds)
    platform = db.platform
    before = checks.snapshot(platform)
    with scratch_engine(platform) as engine:
        for threads, n in sorted(plan.operations.items()):
            bases: list[Measurement] = []
            orders: list[Measurement] = []
            reservations: list[Measurement] = []
            # Interleaved repetitions: baseline, orders, reservations, again; noise hits all three alike.
            for rep in range(plan.repeats):
                tag = f"t{threads}r{rep}"
                bases.append(bare_baseline(engine, operations=n, concurrency=threads, run=tag))
                orders.append(place_orders(platform, operations=n, concurrency=threads))
                # The relay with its consumers after the single-thread orders (fewer events: it is the slow
                # one), the pure relay after the 16-thread ones: the same kind of events either way.
                relay = drain_outbox(platform, with_consumers=threads == 1, orders=n + WARMUP)
                result.relay.append(relay)
                say(f"{db.kind}: {relay.label}: {relay.events} events, {relay.rate:,.0f} events/s")
                reservations.append(reserve_stock(platform, operations=n, concurrency=threads, run=tag))
                platform.relay.drain()  # untimed: the next round starts with an empty outbox
                say(f"{db.kind}: {threads} thread(s), run {rep + 1}/{plan.repeats}: bare {bases[-1].rate:,.0f}, "
                    f"orders {orders[-1].rate:,.1f} ({orders[-1].retries} retries, "
                    f"{sum(orders[-1].errors.values())} errors), reservations {reservations[-1].rate:,.1f} "
                    f"({reservations[-1].retries} retries, {sum(reservations[-1].errors.values())} errors) ops/s")
            base = Repeated(bases)
            result.baselines.append(base)
            result.throughput += [ThroughputRow(Repeated(orders), base), ThroughputRow(Repeated(reservations), base)]

        # One more (untimed) call of each, with a statement counter on the engine and nothing else running.
        result.statements = {
            BARE: statements_per_call(engine, bare_operation(engine, "count"), "0"),
            "place order": statements_per_call(platform.engine, order_operation(platform), "0"),
            "reserve stock": statements_per_call(platform.engine, reserve_operation(platform, "count"), "0"),
        }
        platform.relay.drain()

    with http.serve(platform) as base_url:
        admin = http.token(base_url, http.ADMIN_EMAIL, platform)
        buyer = http.token(base_url, http.BUYER_EMAIL)
        endpoints = [
            ("GET /healthz", http.get("/healthz"), 200, None),
            ("GET /v1/inventory/CAF-001", http.get("/v1/inventory/CAF-001"), 200, admin),
            ("POST /v1/orders", http.post_order, 201, buyer),
        ]
        for name, request, status, bearer in endpoints:
            m = http.measure_endpoint(name, base_url, request, expected_status=status, bearer=bearer,
                                      requests=plan.http_requests, clients=plan.http_clients)
            result.latency.append(m)
            say(f"{db.kind}: {name}: p50 {m.p50_ms:.1f} ms, p95 {m.p95_ms:.1f} ms, {sum(m.errors.values())} errors")

    placed = [m for m in (*(r.ours.pooled for r in result.throughput), *result.latency) if "order" in m.name]
    reserved = [r.ours.pooled for r in result.throughput if r.ours.name == "reserve stock"]
    result.consistency = checks.compare(
        before, checks.snapshot(platform),
        orders_ok=sum(m.succeeded + m.untimed_ok for m in placed) + 1,  # + 1: the statement count's order
        reservations_ok=sum(m.succeeded + m.untimed_ok for m in reserved) + 1,
    )
    say(f"{db.kind}: consistency check: " + ("; ".join(result.consistency) or "ok"))
    return result


def _open(kind: str) -> AbstractContextManager[Database]:
    return sqlite_database() if kind == "sqlite" else postgres_database()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help=f"~{QUICK_DIVISOR}× fewer operations (smoke run)")
    parser.add_argument("--repeats", type=int, default=0,
                        help=f"timed runs of each throughput workload (default {REPEATS}, 1 with --quick)")
    parser.add_argument("--only", choices=KINDS, help="benchmark one database kind only")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the Markdown report")
    parser.add_argument("--no-write", action="store_true", help="print the results, do not write the report")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    divisor = QUICK_DIVISOR if args.quick else 1
    plan = Plan(operations={t: max(n // divisor, 10) for t, n in OPERATIONS.items()},
                repeats=args.repeats or (1 if args.quick else REPEATS),
                http_requests=max(HTTP_REQUESTS // divisor, HTTP_CLIENTS * 2), http_clients=HTTP_CLIENTS)
    kinds = [args.only] if args.only else list(KINDS)
    started = datetime.now(UTC)
    load_before = os.getloadavg()
    results: list[DatabaseResult] = []
    failed = False
    for kind in kinds:
        say(f"{kind}: creating, migrating and seeding a fresh database…")
        try:
            with _open(kind) as db:
                say(f"{kind}: {db.server_version}, ready in {db.setup_seconds:.1f} s")
                results.append(bench_database(db, plan))
        except ServiceUnavailable as exc:
            reason = str(exc).splitlines()[0]
            say(f"{kind}: skipped: {reason}")
            results.append(DatabaseResult(kind=kind, skipped=f"the server could not start ({reason})."))
        except Exception as exc:
            # Report it and go on with the other database; the exit status says something broke.
            logging.getLogger("bench").exception("%s: benchmark failed", kind)
            failed = True
            results.append(DatabaseResult(kind=kind, skipped=f"the benchmark FAILED: {describe(exc)}"))
    finished = datetime.now(UTC)

    postgres = next((r.server_version for r in results if r.kind == "postgres" and not r.skipped), None)
    command = "python -m bench.run" + "".join(
        f" {flag}" for flag, on in (("--quick", args.quick), (f"--repeats {args.repeats}", args.repeats),
                                    (f"--only {args.only}", args.only)) if on
    )
    info = RunInfo(started_utc=started, finished_utc=finished, command=command, quick=args.quick,
                   operations=plan.operations, repeats=plan.repeats, http_requests=plan.http_requests,
                   http_clients=plan.http_clients,
                   load_before=load_before, load_after=os.getloadavg(), machine=machine_facts(postgres))
    print("\n".join(render_results(results)))
    if not args.no_write:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        previous = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        document = render_document(info, results, reading_the_numbers(results))
        args.output.write_text(with_sections(document, previous), encoding="utf-8")
        say(f"wrote {args.output}")
    say(f"done in {(finished - started).total_seconds():.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
