"""The load of the resilience run (bench/bench_resilience.py), in a process of its own.

    python -m bench.resilience_load orders --base URL --auth "Bearer …" --seconds 60 --out orders.jsonl
    python -m bench.resilience_load reads --base URL --auth "Bearer …" --seconds 60 --out reads.jsonl --sku CAF-001

`orders`: `--concurrency` asyncio clients place one-line orders: a share `--scarce-share` of them for the
scarce SKU (1 or 2 units), the rest one unit of the plentiful one, each with its own `Idempotency-Key`, retried
with the same key (up to `--retries` times, 0.5 s apart) after a 5xx, a transport error or a 409 "in flight",
as a client that wants its order exactly once would. `reads`: clients read `GET /v1/inventory/<sku>` in a loop.
Each attempt is one JSON line in `--out` (wall-clock time, status, latency, the order id or the stock read).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
import uuid
from typing import Any

import httpx


def _line(**fields: Any) -> str:
    return json.dumps(fields, separators=(",", ":"))


async def _order_client(client: httpx.AsyncClient, args: argparse.Namespace, deadline: float, out: list[str],
                        rng: random.Random) -> None:
    while time.monotonic() < deadline:
        scarce = rng.random() < args.scarce_share
        sku, quantity = (args.scarce_sku, rng.choice((1, 2))) if scarce else (args.plenty_sku, 1)
        body = {"lines": [{"sku": sku, "quantity": quantity}], "warehouse": args.warehouse}
        key = uuid.uuid4().hex
        for attempt in range(args.retries + 1):
            started = time.time()
            status, order_id, error = 0, None, None
            try:
                reply = await client.post("/v1/orders", json=body, headers={"Idempotency-Key": key})
                status = reply.status_code
                if status == 201:
                    order_id = reply.json()["id"]
                elif status >= 400:
                    error = reply.text[:160]
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:160]
            # 409 "problemas/conflict": another request (or a process that died) holds the key: ask again.
            in_flight = status == 409 and "problemas/conflict" in (error or "")
            final = bool(status) and status < 500 and not in_flight
            out.append(_line(t=started, ms=round((time.time() - started) * 1000, 1), key=key, attempt=attempt,
                             sku=sku, qty=quantity, status=status, order=order_id, final=final, error=error))
            if final:
                break
            await asyncio.sleep(0.5)


async def _read_client(client: httpx.AsyncClient, args: argparse.Namespace, deadline: float, out: list[str]) -> None:
    while time.monotonic() < deadline:
        started = time.time()
        status, stock, error = 0, None, None
        try:
            reply = await client.get(f"/v1/inventory/{args.sku}")
            status = reply.status_code
            if status == 200:
                stock = {w["warehouse"]: [w["on_hand"], w["reserved"], w["available"]]
                         for w in reply.json()["warehouses"]}
            else:
                error = reply.text[:160]
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:160]
        out.append(_line(t=started, ms=round((time.time() - started) * 1000, 1), status=status, stock=stock,
                         error=error))
        await asyncio.sleep(args.pause)


async def _run(args: argparse.Namespace) -> list[str]:
    out: list[str] = []
    deadline = time.monotonic() + args.seconds
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    async with httpx.AsyncClient(base_url=args.base, headers={"Authorization": args.auth}, limits=limits,
                                 timeout=httpx.Timeout(10.0, connect=2.0)) as client:
        if args.mode == "orders":
            rng = random.Random(args.seed)
            clients = [_order_client(client, args, deadline, out, random.Random(rng.random()))
                       for _ in range(args.concurrency)]
        else:
            clients = [_read_client(client, args, deadline, out) for _ in range(args.concurrency)]
        await asyncio.gather(*clients)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("orders", "reads"))
    parser.add_argument("--base", required=True)
    parser.add_argument("--auth", required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--scarce-sku", default="CAF-001")
    parser.add_argument("--plenty-sku", default="CAF-004")
    parser.add_argument("--scarce-share", type=float, default=0.3)
    parser.add_argument("--warehouse", default="BOG")
    parser.add_argument("--retries", type=int, default=6)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--sku", default="CAF-001")
    parser.add_argument("--pause", type=float, default=0.05)
    args = parser.parse_args(argv)
    lines = asyncio.run(_run(args))
    with open(args.out, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + ("\n" if lines else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
