"""Profile the order path on PostgreSQL: `python -m bench.profile_orders [--orders 200] [--top 30]`.

What `POST /v1/orders` runs after authentication: `PlaceOrder` through the message bus (reservation,
outbox) and the order read-back. Prints the SQL statements of one order and the functions where the time
goes (cProfile), so the cuts in docs/performance.md can be checked.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import event

from commerce.fulfillment.commands import AdjustStock
from commerce.identity.principal import SYSTEM, Principal, Role
from commerce.marketplace import commands as mc
from commerce.marketplace import visibility
from infra.bootstrap import Platform, bootstrap, seed_fresh_database
from infra.settings import Settings
from tests.services import run_postgres

BUYER = Principal.for_role(user_id=6, email="laura.gomez@example.co", role=Role.COMPRADOR, buyer_id="BUY-001")


def place(platform: Platform) -> None:
    """What the route does: the command, then the read-back from the same session after its commit."""
    platform.bus.handle(mc.PlaceOrder(buyer_id="BUY-001", warehouse="BOG", actor=BUYER,
                                      lines=[mc.OrderLineIn(sku="CAF-004", quantity=1)]),
                        then=lambda uow, order_id: visibility.get_visible_order(uow=uow, principal=BUYER,
                                                                                order_id=order_id))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    with run_postgres() as url, tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp), database_url=url,  # type: ignore[call-arg]
                            embedded_worker=False)
        seed_fresh_database(settings)
        platform = bootstrap(settings)
        platform.bus.handle(AdjustStock(sku="CAF-004", warehouse="BOG", delta=1_000_000, reason="profile",
                                        actor=SYSTEM))
        for _ in range(20):
            place(platform)  # warm-up: pools, statement caches
        statements: list[str] = []
        listener = lambda _c, _cur, statement, *_a: statements.append(" ".join(statement.split())[:110])  # noqa: E731
        event.listen(platform.engine, "before_cursor_execute", listener)
        place(platform)
        event.remove(platform.engine, "before_cursor_execute", listener)
        print(f"SQL statements of one order (PlaceOrder + read-back): {len(statements)}")
        for text, n in Counter(statements).most_common():
            print(f"  {n} × {text}")
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for _ in range(args.orders):
            place(platform)
        profiler.disable()
        elapsed = time.perf_counter() - started
        print(f"\n{args.orders} orders in {elapsed:.2f} s: {elapsed / args.orders * 1000:.2f} ms per order, "
              f"{args.orders / elapsed:.0f} orders/s on one thread")
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(args.top)
        platform.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
