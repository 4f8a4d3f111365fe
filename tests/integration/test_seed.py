"""`mestocker seed` creates exactly the demo world, with a ledger and reservations that explain it."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from commerce.fulfillment.models import (
    Movement,
    Reservation,
    StockLevel,
    Supplier,
    SupplyItem,
    Warehouse,
)
from commerce.identity.models import User
from commerce.identity.passwords import verify_password
from commerce.marketplace.models import Buyer, Order, Product, Seller
from commerce.shared.clock import utcnow
from infra.bootstrap import Platform, seed_fresh_database
from infra.seed.world import (
    SeedRefused,
    load_demo_world,
    load_product_descriptions,
    seed_demo_world,
    seeded_payment_status,
)
from tests.conftest import make_settings

WORLD = load_demo_world()
DESCRIPTIONS = load_product_descriptions()


def test_the_packaged_world_is_the_shared_reference() -> None:
    shared = Path(__file__).resolve().parents[2].parent / "shared" / "demo-world.json"
    if not shared.exists():
        pytest.skip("../shared is not beside this checkout")
    import json

    assert json.loads(shared.read_text(encoding="utf-8")) == WORLD


def test_static_records_match_exactly(platform: Platform) -> None:
    with platform.read_uow() as uow:
        s = uow.session
        assert {(w.code, w.name, w.city, w.department, w.address) for w in s.scalars(select(Warehouse))} == {
            (w["code"], w["name"], w["city"], w["department"], w["address"]) for w in WORLD["warehouses"]}
        assert {(x.id, x.legal_name, x.nit, x.city, x.contact_email) for x in s.scalars(select(Seller))} == {
            (x["id"], x["legal_name"], x["nit"], x["city"], x["contact_email"]) for x in WORLD["sellers"]}
        assert {(x.id, x.name, x.lead_time_days, x.seller_id) for x in s.scalars(select(Supplier))} == {
            (x["id"], x["name"], x["lead_time_days"], x["seller_id"]) for x in WORLD["suppliers"]}
        products = {p.sku: p for p in s.scalars(select(Product))}
        supply = {i.sku: i for i in s.scalars(select(SupplyItem))}
        for p in WORLD["products"]:
            row, item = products[p["sku"]], supply[p["sku"]]
            assert (row.seller_id, row.name, row.category, row.price_cop) == (
                p["seller_id"], p["name"], p["category"], p["price_cop"])
            assert row.description == DESCRIPTIONS[p["sku"]] and len(row.description) >= 40
            assert (item.supplier_id, item.moq, item.unit_cost_cop) == (p["supplier_id"], p["moq"], p["unit_cost_cop"])
        assert len(products) == len(WORLD["products"])
        assert {(b.id, b.name, b.cedula, b.phone, b.email, b.address, b.city) for b in s.scalars(select(Buyer))} == {
            (b["id"], b["name"], b["cedula"], b["phone"], b["email"], b["address"], b["city"]) for b in WORLD["buyers"]}
        users = {u.email: u for u in s.scalars(select(User))}
        for u in WORLD["users"]:
            assert (users[u["email"]].role, users[u["email"]].seller_id, users[u["email"]].buyer_id) == (
                u["role"], u.get("seller_id"), u.get("buyer_id"))
            assert verify_password("mestocker-demo", users[u["email"]].password_hash)
        assert users["admin@mestocker.example.co"].mfa_required


def test_stock_levels_and_orders_match_exactly(platform: Platform) -> None:
    with platform.read_uow() as uow:
        s = uow.session
        levels = {(lv.sku, lv.warehouse): lv for lv in s.scalars(select(StockLevel))}
        assert len(levels) == len(WORLD["stock"])
        for row in WORLD["stock"]:
            lv = levels[(row["sku"], row["warehouse"])]
            assert (lv.on_hand, lv.reserved, lv.reorder_point, lv.safety_stock, lv.avg_daily_units_90d) == (
                row["on_hand"], row["reserved"], row["reorder_point"], row["safety_stock"], row["avg_daily_units_90d"])
        orders = {o.id: o for o in s.scalars(select(Order))}
        assert set(orders) == {o["id"] for o in WORLD["orders"]}
        for o in WORLD["orders"]:
            order = orders[o["id"]]
            assert (order.buyer_id, order.warehouse, order.status, order.carrier, order.tracking_number) == (
                o["buyer_id"], o["warehouse"], o["status"], o.get("carrier"), o.get("tracking_number"))
            assert [(ln.sku, ln.quantity) for ln in order.lines] == sorted(
                (ln["sku"], ln["quantity"]) for ln in o["lines"])
            assert [(p.gateway, p.status) for p in order.payments] == [
                (o["payment"]["gateway"], seeded_payment_status(o["payment"]["status"]))]
            assert order.total_cop == sum(ln.quantity * ln.unit_price_cop for ln in order.lines)


def test_reserved_units_are_backed_by_active_reservations(platform: Platform) -> None:
    with platform.read_uow() as uow:
        held: dict[tuple[str, str], int] = defaultdict(int)
        for r in uow.session.scalars(select(Reservation).where(Reservation.status == "active")):
            held[(r.sku, r.warehouse)] += r.quantity
        for row in WORLD["stock"]:
            assert held.get((row["sku"], row["warehouse"]), 0) == row["reserved"], row
        pending = uow.session.get(Order, "ORD-1002")
        assert pending is not None and pending.payment_due_at is not None
        order_holds = uow.session.scalars(select(Reservation).where(Reservation.reference == "ORD-1002")).all()
        assert [(r.kind, r.status, r.expires_at is not None) for r in order_holds] == [("order", "active", True)]


def test_ledger_balances_and_history_matches_the_90_day_average(platform: Platform) -> None:
    with platform.read_uow() as uow:
        s = uow.session
        sums = s.execute(select(Movement.sku, Movement.warehouse, func.sum(Movement.on_hand_delta),
                                func.sum(Movement.reserved_delta)).group_by(Movement.sku, Movement.warehouse)).all()
        balances = {(sku, wh): (int(oh), int(rs)) for sku, wh, oh, rs in sums}
        since = utcnow() - timedelta(days=91)
        sold = dict(((sku, wh), -int(q)) for sku, wh, q in s.execute(
            select(Movement.sku, Movement.warehouse, func.sum(Movement.on_hand_delta))
            .where(Movement.kind == "sale", Movement.occurred_at >= since)
            .group_by(Movement.sku, Movement.warehouse)))
        days_covered = s.scalar(select(func.count(func.distinct(func.date(Movement.occurred_at))))
                                .where(Movement.kind == "sale"))
    for row in WORLD["stock"]:
        key = (row["sku"], row["warehouse"])
        assert balances[key] == (row["on_hand"], row["reserved"]), key
        assert sold.get(key, 0) == round(row["avg_daily_units_90d"] * 90), key
    assert days_covered and days_covered >= 60, "history spreads over the 90 days"


def test_seed_is_deterministic_across_runs(tmp_path: Path) -> None:
    def quantities(folder: Path) -> list[tuple[str, str, str, int]]:
        settings = make_settings(folder, f"sqlite:///{folder / 'db.sqlite'}")
        from infra.bootstrap import bootstrap

        platform = bootstrap(settings)
        try:
            with platform.session_factory() as session:
                seed_demo_world(session, settings)
                rows = session.execute(select(Movement.kind, Movement.sku, Movement.warehouse,
                                              Movement.on_hand_delta).order_by(Movement.id)).all()
                return [tuple(r) for r in rows]  # type: ignore[misc]
        finally:
            platform.close()

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert quantities(tmp_path / "a") == quantities(tmp_path / "b")


@pytest.mark.parametrize("password", ["", "mestocker-demo", "short"])
def test_production_seeding_refuses_the_demo_password(tmp_path: Path, password: str) -> None:
    settings = make_settings(tmp_path, "sqlite:///unused.db")
    production = settings.model_copy(update={"profile": "production", "seed_password": password})
    with pytest.raises(SeedRefused, match="demo password"):
        seed_demo_world(session=None, settings=production)  # type: ignore[arg-type]


def test_seed_puts_the_catalog_in_the_semantic_index(tmp_path: Path) -> None:
    from infra.product_index import build_product_index

    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}")
    seed_fresh_database(settings)
    hits = build_product_index(settings).rank("algo para el frío", limit=len(WORLD["products"]))
    assert hits is not None and sorted(h.sku for h in hits) == sorted(p["sku"] for p in WORLD["products"])
    assert hits[0].sku == "MOD-101"
