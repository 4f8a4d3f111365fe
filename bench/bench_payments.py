"""Payment notifications per second: verification, dedup and the outbox. `python -m bench.bench_payments
[--notifications N] [--only sqlite|postgres] [--no-write]`.

For N orders with a pending PayU intent each (PSE, the slow method whose confirmation comes later):
1. in process: the adapter verifies each signed confirmation (MD5 over the documented chain) and
   RecordPaymentNotification applies it (row lock, dedup lookup, raw row, order → paid, outbox rows
   payment.success / order.paid, fulfillment's shipment) — one transaction per notification;
2. the same N again: replays, verified and found duplicate, no effect;
3. forged ones: refused by the signature check before any database work;
4. over HTTP, driven by `wrk` from its own process against uvicorn: fresh confirmations, then replays of them.
Writes the "payments" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform as host
import re
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import func, select

from api.app import create_app
from bench.databases import seeded_platform
from bench.sections import write_section
from commerce.fulfillment.commands import AdjustStock
from commerce.identity.principal import SYSTEM, Principal, Role
from commerce.marketplace import commands as mc
from commerce.marketplace.models import Order, PaymentNotification
from commerce.marketplace.payments import NotificationRequest
from commerce.shared.outbox import OutboxMessage
from infra.bootstrap import Platform
from infra.payments.payu import PayUGateway, new_value
from infra.settings import Settings
from tests.services import ServiceUnavailable, serve_app

ROOT = Path(__file__).resolve().parent.parent
LAURA = Principal.for_role(user_id=6, email="laura.gomez@example.co", role=Role.COMPRADOR, buyer_id="BUY-001")
API_KEY, MERCHANT = "4Vj8eK4rloUd272L48hsrarnUA", "508029"
SKU, WAREHOUSE = "CAF-002", "BOG"


def settings_for(data_dir: Path, url: str) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir, database_url=url, embedded_worker=False,  # type: ignore[call-arg]
                    payu_merchant_id=MERCHANT, payu_account_id="512321", payu_api_key=API_KEY,
                    payu_checkout_url="https://payu.invalid/", payu_api_url="https://payu.invalid/api")


@contextmanager
def database(kind: str) -> Iterator[Platform]:
    with tempfile.TemporaryDirectory(prefix="mestocker-bench-pay-") as tmp:
        if kind == "sqlite":
            with seeded_platform(settings_for(Path(tmp), f"sqlite:///{Path(tmp, 'bench.db').as_posix()}")) as platform:
                yield platform
            return
        from tests.services import run_postgres

        with run_postgres() as url, seeded_platform(settings_for(Path(tmp), url)) as platform:
            yield platform


def pending_intents(platform: Platform, n: int) -> tuple[list[tuple[str, int]], float]:
    """N orders of one unit, each with a pending PayU PSE intent: ([(intent id, amount)], orders per second)."""
    platform.bus.handle(AdjustStock(sku=SKU, warehouse=WAREHOUSE, delta=n + 10, reason="benchmark", actor=SYSTEM))
    intents = []
    started = time.perf_counter()
    for _ in range(n):
        order_id = platform.bus.handle(mc.PlaceOrder(buyer_id="BUY-001", warehouse=WAREHOUSE, actor=LAURA,
                                                     lines=[mc.OrderLineIn(sku=SKU, quantity=1)]))
        payment = platform.bus.handle(mc.PayOrder(order_id=order_id, gateway="payu", method="pse", actor=LAURA))
        intents.append((payment.id, payment.amount_cop))
    rate = n / (time.perf_counter() - started)
    platform.relay.drain()  # untimed: the notifications start with an empty outbox
    return intents, rate


def confirmation(reference: str, amount: int, *, key: str = API_KEY, tag: str = "") -> bytes:
    value = f"{amount}.00"
    signature = sign_with(key, MERCHANT, reference, new_value(value), "COP", "4")
    return urlencode({"merchant_id": MERCHANT, "state_pol": "4", "reference_sale": reference, "value": value,
                      "currency": "COP", "sign": signature, "transaction_id": f"bench-{tag}{reference}",
                      "reference_pol": "7069375", "response_message_pol": "APPROVED"}).encode()


def sign_with(key: str, *parts: str) -> str:
    return hashlib.md5("~".join((key, *parts)).encode()).hexdigest()


def in_process(platform: Platform, bodies: list[bytes]) -> tuple[float, dict[str, int]]:
    """Verify + record every body, one after the other; (notifications/s, outcomes)."""
    gateway = platform.gateways.get("payu")
    assert isinstance(gateway, PayUGateway)
    outcomes: dict[str, int] = {}
    started = time.perf_counter()
    for body in bodies:
        request = NotificationRequest(headers={}, query={}, body=body, received_at=datetime.now(UTC))
        try:
            notice = gateway.verify_notification(request)
        except Exception:
            outcomes["rejected"] = outcomes.get("rejected", 0) + 1
            continue
        outcome = platform.bus.handle(mc.RecordPaymentNotification(
            gateway=notice.gateway, reference=notice.reference, transaction_id=notice.transaction_id,
            status=notice.status, amount_cop=notice.amount_cop, currency=notice.currency, raw=dict(notice.raw)))
        outcomes[str(outcome)] = outcomes.get(str(outcome), 0) + 1
    return len(bodies) / (time.perf_counter() - started), outcomes


def lua_script(path: Path, bodies: list[bytes]) -> None:
    quoted = ",\n".join(json.dumps(b.decode()) for b in bodies)
    path.write_text(
        "local bodies = {\n" + quoted + "\n}\nlocal i = 0\n"
        "request = function()\n  i = i + 1\n  local body = bodies[((i - 1) % #bodies) + 1]\n"
        '  return wrk.format("POST", "/v1/payments/payu/notifications", '
        '{["Content-Type"] = "application/x-www-form-urlencoded"}, body)\nend\n', encoding="utf-8")


def wrk(url: str, script: Path, seconds: int, connections: int) -> tuple[float, float, int]:
    """Requests/s, mean latency (ms) and non-2xx count from one wrk thread (it alone walks the body list)."""
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
                         capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    lat = re.search(r"Latency\s+([\d.]+)(us|ms|s)", out)
    latency = float(lat.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[lat.group(2)] if lat else 0.0
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rate, latency, int(bad.group(1)) if bad else 0


def counts(platform: Platform) -> tuple[int, int, int]:
    with platform.read_uow() as uow:
        s = uow.session
        return (s.scalar(select(func.count()).select_from(PaymentNotification)) or 0,
                s.scalar(select(func.count()).select_from(Order).where(Order.status == "paid")) or 0,
                s.scalar(select(func.count()).select_from(OutboxMessage).where(
                    OutboxMessage.name == "payment.success")) or 0)


def bench(kind: str, n: int, seconds: int) -> list[str]:
    rows = []
    with database(kind) as platform:
        intents, setup_rate = pending_intents(platform, 2 * n)
        rows.append(f"| {kind} | in process | reference: PlaceOrder + PayOrder (PayU PSE form) per order | {2 * n} | "
                    f"{setup_rate:,.1f} orders | pending intents |")
        first, second = intents[:n], intents[n:]
        fresh = [confirmation(ref, amount) for ref, amount in first]
        rate, outcomes = in_process(platform, fresh)
        rows.append(f"| {kind} | in process | fresh (verify, lock, dedup, record, paid, outbox) | {n} | "
                    f"{rate:,.0f} | {outcomes} |")
        rate, outcomes = in_process(platform, fresh)
        rows.append(f"| {kind} | in process | replays (verify, dedup hit) | {n} | {rate:,.0f} | {outcomes} |")
        forged = [confirmation(ref, amount, key="guessed") for ref, amount in first]
        rate, outcomes = in_process(platform, forged)
        rows.append(f"| {kind} | in process | forged (refused by the signature) | {n} | {rate:,.0f} | {outcomes} |")
        before = counts(platform)
        with serve_app(create_app(platform, background_worker=False), start_timeout=180) as url, \
                tempfile.TemporaryDirectory() as tmp:
            script = Path(tmp, "notify.lua")
            lua_script(script, [confirmation(ref, amount, tag="h") for ref, amount in second])
            rate, latency, bad = wrk(url, script, seconds, 8)
            after = counts(platform)
            applied = after[1] - before[1]
            rows.append(f"| {kind} | HTTP, wrk 1 thread × 8 connections, {seconds} s | fresh, then replays of them "
                        f"| {n} distinct | {rate:,.0f} (mean {latency:.1f} ms) | {applied} paid, "
                        f"{after[2] - before[2]} payment.success, {bad} non-2xx |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notifications", type=int, default=400)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    rows: list[str] = []
    load_before = os.getloadavg()
    for kind in (args.only,) if args.only else ("sqlite", "postgres"):
        try:
            rows += bench(kind, args.notifications, args.seconds)
        except ServiceUnavailable as exc:
            rows.append(f"| {kind} | — | not run: {exc} | | | |")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{host.machine()}, {os.cpu_count()} cores shared with other jobs, Python {host.python_version()}"
    load = f"load average (1 min) {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after"
    text = "\n".join([
        "## Payment notifications (issue 13)",
        "",
        f"`python -m bench.bench_payments --notifications {args.notifications}` — {stamp}, {machine}; {load}.",
        "PayU confirmations (MD5 signature) for pending PSE intents; every fresh one pays its order in one",
        "transaction (row lock on the intent and the order, dedup lookup, raw row, order → paid, outbox rows).",
        "",
        "| database | path | notifications | count | per second | outcome |",
        "|---|---|---|---|---|---|",
        *rows,
    ])
    print(text)
    if not args.no_write:
        write_section(ROOT / "docs" / "benchmarks.md", "payments", text)


if __name__ == "__main__":
    main()
