"""`mestocker seed`: create exactly the demo world plus 90 days of deterministic history.

History is imported directly (no events), like a migration from a previous system; everything
after the seed goes through the message bus.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from commerce.fulfillment.models import (
    Movement,
    MovementKind,
    Reservation,
    ReservationKind,
    ReservationStatus,
    Shipment,
    ShipmentStatus,
    StockLevel,
    Supplier,
    SupplyItem,
    Warehouse,
)
from commerce.identity.channels import normalize_phone
from commerce.identity.mfa import MFA_ROLES, TotpEnrolment, enrol_totp_now
from commerce.identity.models import User
from commerce.identity.passwords import hash_password
from commerce.identity.phone_binding import SEEDED, verify_phone
from commerce.identity.principal import Role
from commerce.identity.services import DEMO_PASSWORD
from commerce.marketplace.models import Buyer, Order, OrderLine, Payment, Product, Seller
from commerce.marketplace.order_state import OrderStatus
from commerce.marketplace.payments import PaymentStatus
from commerce.shared.clock import BOGOTA, utcnow
from commerce.shared.events import ReleaseReason
from commerce.shared.nit import normalize_nit
from commerce.shared.sequences import set_last_value
from infra.seed.history import DAYS, StockSpec, build_history
from infra.settings import Settings

Progress = Callable[[str], None]

# Days ago (relative to the seed) of the demo orders' milestones: created, paid, shipped, delivered.
ORDER_TIMELINE: dict[str, dict[str, float]] = {
    "ORD-1001": {"created": 4.2, "paid": 4.1, "picking": 3.5, "shipped": 3.0},
    "ORD-1002": {"created": 0.1},
    "ORD-1003": {"created": 12.3, "paid": 12.2, "picking": 11.6, "shipped": 11.0, "delivered": 9.0},
    "ORD-1004": {"created": 0.8, "paid": 0.75},
    "ORD-1005": {"created": 6.0, "cancelled": 5.0},
}
SHIPMENT_STATUS = {OrderStatus.PAID: ShipmentStatus.QUEUED, OrderStatus.SHIPPED: ShipmentStatus.SHIPPED,
                   OrderStatus.DELIVERED: ShipmentStatus.DELIVERED}
STOCK_RESERVED_HOLD_NOTE = "Apartado manual (separación para cliente mayorista)"


def seeded_payment_status(status: str) -> PaymentStatus:
    """The reference data says "rejected" where the payment intent model says "declined"."""
    return PaymentStatus.DECLINED if status == "rejected" else PaymentStatus(status)


class SeedRefused(RuntimeError):
    """Seeding would be unsafe (e.g. the demo password in production)."""


def load_demo_world() -> dict[str, Any]:
    """The reference data shipped inside the package (a copy of shared/demo-world.json)."""
    return json.loads(resources.files("infra.seed").joinpath("demo-world.json").read_text(encoding="utf-8"))


def load_product_descriptions() -> dict[str, str]:
    """SKU → the listing text its seller wrote (infra/seed/product-descriptions.json)."""
    data = json.loads(resources.files("infra.seed").joinpath("product-descriptions.json").read_text(encoding="utf-8"))
    return dict(data["descriptions"])


def is_seeded(session: Session) -> bool:
    return bool(session.scalar(select(func.count()).select_from(Warehouse)))


def seed_demo_world(session: Session, settings: Settings, progress: Progress = lambda _m: None) -> list[TotpEnrolment]:
    """Insert the demo world and its history in one transaction; return the staff's TOTP enrolments.

    Admins and superusers are enrolled in TOTP (their logins need it); the caller shows the
    otpauth URIs and recovery codes once. Outside production the demo buyers' phones count as
    verified WhatsApp numbers, so the demo answers them at once (production binds numbers only
    through the one-time code flow, commerce.identity.phone_binding)."""
    password = _demo_password(settings)
    world = load_demo_world()
    now = utcnow()
    enrolments: list[TotpEnrolment] = []
    steps: list[tuple[str, Callable[[], None]]] = [
        ("bodegas, vendedores y proveedores", lambda: _static(session, world)),
        ("catálogo", lambda: _catalog(session, world)),
        ("compradores y usuarios", lambda: _people(session, world, password)),
        ("segundo factor del personal y teléfonos verificados",
         lambda: enrolments.extend(_staff_mfa_and_phones(session, verified_phones=not settings.is_production))),
        ("historial de 90 días", lambda: _history(session, world, now)),
        ("pedidos y reservas", lambda: _orders(session, world, now)),
        ("contadores", lambda: _counters(session)),
    ]
    total = len(steps) + 1
    for number, (label, step) in enumerate(steps, start=1):
        progress(f"[{number}/{total}] {label}")
        step()
        session.flush()
    session.commit()
    progress(f"[{total}/{total}] índice semántico del catálogo")
    _semantic_catalog(session, settings, progress)
    return enrolments


def _staff_mfa_and_phones(session: Session, *, verified_phones: bool) -> list[TotpEnrolment]:
    session.flush()
    enrolments = []
    for user in session.scalars(select(User).order_by(User.id)):
        if Role(user.role) in MFA_ROLES or user.mfa_required:
            enrolments.append(enrol_totp_now(session, user.id))
        elif verified_phones and user.phone:
            verify_phone(session, user.id, normalize_phone(user.phone), SEEDED)
    return enrolments


def _semantic_catalog(session: Session, settings: Settings, progress: Progress) -> None:
    """Embed the seeded catalog into ChromaDB for semantic search and "similar products".

    After the commit and best effort: the database is the source of truth, and search without the index
    falls back to full text, so an unreachable Chroma server must not undo a seed."""
    from infra.product_index import build_product_index, index_catalog

    try:
        report = index_catalog(session, build_product_index(settings))
    except Exception as exc:  # chromadb raises plain errors for a dead server or an unusable folder
        progress(f"  índice semántico no disponible ({exc}); la búsqueda usará solo texto completo")
        return
    progress(f"  {len(report.written)} producto(s) indexados")


def _demo_password(settings: Settings) -> str:
    if not settings.is_production:
        return DEMO_PASSWORD
    if not settings.seed_password or settings.seed_password == DEMO_PASSWORD or len(settings.seed_password) < 12:
        raise SeedRefused(
            "production seeding refuses the demo password: set MESTOCKER_SEED_PASSWORD to a strong "
            "password (12+ characters) different from the demo one"
        )
    return settings.seed_password


def _static(session: Session, world: dict[str, Any]) -> None:
    session.add_all(Warehouse(**w) for w in world["warehouses"])
    session.add_all(
        Seller(id=s["id"], legal_name=s["legal_name"], nit=normalize_nit(s["nit"]), city=s["city"],
               contact_email=s["contact_email"])
        for s in world["sellers"]
    )
    session.flush()
    session.add_all(Supplier(**s) for s in world["suppliers"])


def _catalog(session: Session, world: dict[str, Any]) -> None:
    descriptions = load_product_descriptions()
    for p in world["products"]:
        session.add(Product(sku=p["sku"], seller_id=p["seller_id"], name=p["name"], category=p["category"],
                            description=descriptions[p["sku"]], price_cop=p["price_cop"]))
    session.flush()
    for p in world["products"]:
        session.add(SupplyItem(sku=p["sku"], seller_id=p["seller_id"], supplier_id=p["supplier_id"],
                               moq=p["moq"], unit_cost_cop=p["unit_cost_cop"]))


def _normalize_phone(phone: str) -> str:
    return "+" + "".join(ch for ch in phone if ch.isdigit())


def _people(session: Session, world: dict[str, Any], password: str) -> None:
    session.add_all(Buyer(**b) for b in world["buyers"])
    session.flush()
    phones = {b["id"]: _normalize_phone(b["phone"]) for b in world["buyers"]}
    for u in world["users"]:
        session.add(User(email=u["email"], password_hash=hash_password(password), role=u["role"],
                         seller_id=u.get("seller_id"), buyer_id=u.get("buyer_id"),
                         phone=phones.get(u.get("buyer_id", "")), mfa_required=u.get("mfa_required", False)))
    session.flush()
    _consents(session)


def _consents(session: Session) -> None:
    """The demo users accepted the current consent text when they registered (international transfer too)."""
    from commerce.identity.consent import TEXT_HASH, TEXT_VERSION, TRATAMIENTO
    from commerce.identity.models import ConsentRecord

    for user_id in session.scalars(select(User.id)):
        session.add(ConsentRecord(user_id=user_id, purpose=TRATAMIENTO, text_version=TEXT_VERSION, text_hash=TEXT_HASH,
                                  channel="registro", international_transfer=True, sensitive_data=False))


def _day_time(now: datetime, day: int, hour: int) -> datetime:
    """`day` of the 90-day window (0 = oldest) at `hour` Bogotá time, as UTC."""
    local_day = (now - timedelta(days=DAYS - day)).astimezone(BOGOTA).replace(hour=hour, minute=0, second=0,
                                                                              microsecond=0)
    return min(local_day, now - timedelta(minutes=5))


def _shipped_order_units(world: dict[str, Any]) -> dict[tuple[str, str], dict[int, int]]:
    """Units of shipped demo orders, per (sku, warehouse) and day of the window."""
    units: dict[tuple[str, str], dict[int, int]] = defaultdict(dict)
    for order in world["orders"]:
        shipped = ORDER_TIMELINE[order["id"]].get("shipped")
        if shipped is None:
            continue
        day = DAYS - 1 - int(shipped)
        for line in order["lines"]:
            per_day = units[(line["sku"], order["warehouse"])]
            per_day[day] = per_day.get(day, 0) + line["quantity"]
    return units


def _history(session: Session, world: dict[str, Any], now: datetime) -> None:
    products = {p["sku"]: p for p in world["products"]}
    lead_times = {s["id"]: s["lead_time_days"] for s in world["suppliers"]}
    order_units = _shipped_order_units(world)
    for row in world["stock"]:
        product = products[row["sku"]]
        spec = StockSpec(sku=row["sku"], warehouse=row["warehouse"], on_hand=row["on_hand"],
                         reorder_point=row["reorder_point"], safety_stock=row["safety_stock"],
                         avg_daily_units=row["avg_daily_units_90d"], moq=product["moq"],
                         lead_time_days=lead_times[product["supplier_id"]])
        session.add(StockLevel(sku=spec.sku, warehouse=spec.warehouse, on_hand=row["on_hand"],
                               reserved=row["reserved"], reorder_point=spec.reorder_point,
                               safety_stock=spec.safety_stock, avg_daily_units_90d=spec.avg_daily_units))
        fixed = order_units.get((spec.sku, spec.warehouse), {})
        history = build_history(spec, fixed)
        session.add(Movement(kind=MovementKind.ADJUSTMENT, sku=spec.sku, warehouse=spec.warehouse,
                             on_hand_delta=history.opening_on_hand, occurred_at=_day_time(now, 0, 6),
                             reference="SALDO-INICIAL", note="Saldo inicial (conteo físico)"))
        for day in range(DAYS):
            if history.receipts[day]:
                session.add(Movement(kind=MovementKind.RECEIPT, sku=spec.sku, warehouse=spec.warehouse,
                                     on_hand_delta=history.receipts[day], occurred_at=_day_time(now, day, 9),
                                     reference=f"REC-{product['supplier_id']}", note="Recepción de proveedor"))
            counter_sales = history.sales[day] - fixed.get(day, 0)
            if counter_sales:
                session.add(Movement(kind=MovementKind.SALE, sku=spec.sku, warehouse=spec.warehouse,
                                     on_hand_delta=-counter_sales, occurred_at=_day_time(now, day, 19),
                                     reference="VENTAS-DIA", unit_price_cop=product["price_cop"],
                                     note="Ventas del día (histórico)"))


def _orders(session: Session, world: dict[str, Any], now: datetime) -> None:
    prices = {p["sku"]: p for p in world["products"]}
    reserved_by_orders: dict[tuple[str, str], int] = defaultdict(int)
    for data in world["orders"]:
        timeline = {k: now - timedelta(days=v) for k, v in ORDER_TIMELINE[data["id"]].items()}
        order = Order(id=data["id"], buyer_id=data["buyer_id"], warehouse=data["warehouse"], status=data["status"],
                      total_cop=0, carrier=data.get("carrier"), tracking_number=data.get("tracking_number"),
                      created_at=timeline["created"], updated_at=max(timeline.values()))
        for line in data["lines"]:
            product = prices[line["sku"]]
            order.lines.append(OrderLine(sku=line["sku"], seller_id=product["seller_id"], name=product["name"],
                                         quantity=line["quantity"], unit_price_cop=product["price_cop"]))
        order.total_cop = sum(line.quantity * line.unit_price_cop for line in order.lines)
        payment = data["payment"]
        order.payments.append(Payment(id=f"PAY-{data['id']}-1", gateway=payment["gateway"],
                                      status=seeded_payment_status(payment["status"]), amount_cop=order.total_cop,
                                      external_ref=f"{payment['gateway'].upper()}-{data['id']}",
                                      created_at=timeline.get("paid", timeline["created"])))
        if data["status"] == OrderStatus.PENDING_PAYMENT:
            order.payment_due_at = timeline["created"] + timedelta(hours=24)
        if data["status"] == OrderStatus.CANCELLED:
            order.cancel_reason = "pago rechazado por la pasarela"
        session.add(order)
        _order_stock(session, data, timeline, reserved_by_orders, prices)
    _manual_holds(session, world, reserved_by_orders, now)


def _order_stock(session: Session, data: dict[str, Any], timeline: dict[str, datetime],
                 reserved_by_orders: dict[tuple[str, str], int], prices: dict[str, Any]) -> None:
    """Reservations, ledger rows and shipments that make a demo order's status true."""
    status, warehouse = OrderStatus(data["status"]), data["warehouse"]
    for line in data["lines"]:
        sku, qty = line["sku"], line["quantity"]
        active = status in (OrderStatus.PENDING_PAYMENT, OrderStatus.PAID)
        reservation = Reservation(
            id=f"RSV-{data['id']}-{sku}", sku=sku, warehouse=warehouse, quantity=qty, kind=ReservationKind.ORDER,
            reference=data["id"], created_at=timeline["created"],
            status=ReservationStatus.ACTIVE if active else (
                ReservationStatus.RELEASED if status == OrderStatus.CANCELLED else ReservationStatus.CONSUMED),
            expires_at=timeline["created"] + timedelta(hours=24) if status == OrderStatus.PENDING_PAYMENT else None,
        )
        session.add(reservation)
        session.add(Movement(kind=MovementKind.RESERVATION, sku=sku, warehouse=warehouse, reserved_delta=qty,
                             reference=data["id"], occurred_at=timeline["created"]))
        if active:
            reserved_by_orders[(sku, warehouse)] += qty
        elif status == OrderStatus.CANCELLED:
            reservation.closed_at, reservation.close_reason = timeline["cancelled"], ReleaseReason.ORDER_CANCELLED
            session.add(Movement(kind=MovementKind.RELEASE, sku=sku, warehouse=warehouse, reserved_delta=-qty,
                                 reference=data["id"], occurred_at=timeline["cancelled"],
                                 note=ReleaseReason.ORDER_CANCELLED))
        else:
            reservation.closed_at, reservation.close_reason = timeline["shipped"], "shipped"
            session.add(Movement(kind=MovementKind.SALE, sku=sku, warehouse=warehouse, on_hand_delta=-qty,
                                 reserved_delta=-qty, reference=data["id"], occurred_at=timeline["shipped"],
                                 unit_price_cop=prices[sku]["price_cop"]))
    if status in SHIPMENT_STATUS:
        session.add(Shipment(
            order_id=data["id"], warehouse=warehouse,
            status=SHIPMENT_STATUS[status],
            carrier=data.get("carrier"), tracking_number=data.get("tracking_number"), queued_at=timeline["paid"],
            picking_started_at=timeline.get("picking"), shipped_at=timeline.get("shipped"),
            delivered_at=timeline.get("delivered"),
        ))


def _manual_holds(session: Session, world: dict[str, Any], reserved_by_orders: dict[tuple[str, str], int],
                  now: datetime) -> None:
    """Reserved units not explained by a demo order are staff holds (no expiry), so `reserved` is real."""
    for row in world["stock"]:
        key = (row["sku"], row["warehouse"])
        extra = row["reserved"] - reserved_by_orders.get(key, 0)
        if extra < 0:
            raise ValueError(f"demo world: orders reserve more {key} than the stock row says")
        if extra == 0:
            continue
        reference = f"HOLD-{row['sku']}-{row['warehouse']}"
        when = now - timedelta(days=1)
        session.add(Reservation(id=f"RSV-{reference}", sku=row["sku"], warehouse=row["warehouse"], quantity=extra,
                                kind=ReservationKind.HOLD, reference=reference, created_at=when))
        session.add(Movement(kind=MovementKind.RESERVATION, sku=row["sku"], warehouse=row["warehouse"],
                             reserved_delta=extra, reference=reference, occurred_at=when,
                             note=STOCK_RESERVED_HOLD_NOTE))


def _counters(session: Session) -> None:
    last_order = session.scalar(select(func.max(Order.id)))
    number = int(last_order.split("-")[1]) if last_order else 1000
    for name, value in (("order", number), ("purchase_order", 0), ("transfer", 0)):
        set_last_value(session, name, value)
