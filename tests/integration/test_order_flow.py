"""Flows 1 and 2 end to end through the message bus, expiry, cancellation, and bad input changing nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from commerce.fulfillment import commands as fc
from commerce.fulfillment import views as fviews
from commerce.fulfillment.models import Movement, Reservation, StockLevel
from commerce.identity.principal import SYSTEM, Principal, Role
from commerce.marketplace import commands as mc
from commerce.marketplace import views as mviews
from commerce.shared.clock import utcnow
from commerce.shared.errors import IllegalTransition, InvalidInput, NotAuthorized, NotFound, OutOfStock
from commerce.shared.outbox import OutboxMessage
from infra.bootstrap import Platform

LAURA = Principal.for_role(user_id=6, email="laura.gomez@example.co", role=Role.COMPRADOR, buyer_id="BUY-001")
ANDRES = Principal.for_role(user_id=7, email="andres.restrepo@example.co", role=Role.COMPRADOR, buyer_id="BUY-002")
CAFE = Principal.for_role(user_id=3, email="ventas@cafeorigen.example.co", role=Role.CLIENTE, seller_id="SEL-CAFE")


def level(platform: Platform, sku: str, wh: str) -> tuple[int, int]:
    with platform.read_uow() as uow:
        row = uow.session.get(StockLevel, (sku, wh))
        assert row is not None
        return row.on_hand, row.reserved


def status(platform: Platform, order_id: str) -> str:
    with platform.read_uow() as uow:
        return mviews.get_order(uow=uow, principal=SYSTEM, order_id=order_id).status


def event_names(platform: Platform, key: str) -> list[str]:
    with platform.read_uow() as uow:
        return list(uow.session.scalars(select(OutboxMessage.name).where(OutboxMessage.key == key)
                                        .order_by(OutboxMessage.seq)))


def snapshot(platform: Platform) -> tuple[int, ...]:
    with platform.read_uow() as uow:
        s = uow.session
        return (s.scalar(select(func.count()).select_from(Movement)) or 0,
                s.scalar(select(func.count()).select_from(OutboxMessage)) or 0,
                s.scalar(select(func.sum(StockLevel.reserved))) or 0,
                s.scalar(select(func.sum(StockLevel.on_hand))) or 0)


def place(platform: Platform, lines: list[tuple[str, int]], warehouse: str | None = None,
          actor: Principal = LAURA) -> str:
    order_id: str = platform.bus.handle(mc.PlaceOrder(
        buyer_id=actor.buyer_id or "BUY-001", warehouse=warehouse, actor=actor,
        lines=[mc.OrderLineIn(sku=s, quantity=q) for s, q in lines]))
    return order_id


def test_flow_1_and_2_from_order_to_delivery(platform: Platform) -> None:
    before = level(platform, "CAF-001", "BOG")
    order_id = place(platform, [("CAF-001", 2), ("CAF-004", 3)], warehouse="BOG")
    assert order_id == "ORD-1006"
    assert status(platform, order_id) == "pending_payment"
    assert level(platform, "CAF-001", "BOG") == (before[0], before[1] + 2)

    payment = platform.bus.handle(mc.PayOrder(order_id=order_id, actor=LAURA))
    assert payment.status == "approved"
    assert status(platform, order_id) == "paid"
    platform.bus.handle(fc.StartPicking(order_id=order_id))
    assert status(platform, order_id) == "picking"
    platform.bus.handle(fc.ShipOrder(order_id=order_id, carrier="Servientrega", tracking_number="SV999"))
    with platform.read_uow() as uow:
        order = mviews.get_order(uow=uow, principal=LAURA, order_id=order_id)
    assert (order.status, order.carrier, order.tracking_number) == ("shipped", "Servientrega", "SV999")
    assert level(platform, "CAF-001", "BOG") == (before[0] - 2, before[1])
    platform.bus.handle(fc.DeliverOrder(order_id=order_id))
    assert status(platform, order_id) == "delivered"
    assert event_names(platform, order_id) == [
        "order.created", "stock.reserved", "payment.success", "order.paid", "fulfillment.started",
        "order.shipped", "order.delivered", "purchase.completed"]


def test_default_warehouse_serves_all_lines_and_prefers_the_buyers_city(platform: Platform) -> None:
    # Andrés lives in Medellín: MED holds CAF-001 and TEC-550.
    medellin = place(platform, [("CAF-001", 1), ("TEC-550", 1)], actor=ANDRES)
    # Only BOG holds both CAF-004 and TEC-551.
    bogota = place(platform, [("CAF-004", 1), ("TEC-551", 1)], actor=ANDRES)
    with platform.read_uow() as uow:
        assert mviews.get_order(uow=uow, principal=ANDRES, order_id=medellin).warehouse == "MED"
        assert mviews.get_order(uow=uow, principal=ANDRES, order_id=bogota).warehouse == "BOG"


def test_unpaid_order_expires_and_releases_its_stock(platform: Platform) -> None:
    before = level(platform, "TEC-552", "BOG")
    order_id = place(platform, [("TEC-552", 4)], warehouse="BOG")
    assert level(platform, "TEC-552", "BOG") == (before[0], before[1] + 4)
    # Nothing expires early.
    assert platform.bus.handle(fc.ReleaseExpiredReservations(now=utcnow() + timedelta(hours=1))) == 0
    released = platform.bus.handle(fc.ReleaseExpiredReservations(now=utcnow() + timedelta(hours=25)))
    assert released >= 1
    assert level(platform, "TEC-552", "BOG") == before
    with platform.read_uow() as uow:
        order = mviews.get_order(uow=uow, principal=LAURA, order_id=order_id)
    assert order.status == "cancelled" and order.cancel_reason == "pago no recibido a tiempo"
    # Seeded ORD-1002 (unpaid, 24 h) expired too; paid ORD-1004 and staff holds did not.
    assert status(platform, "ORD-1002") == "cancelled"
    assert status(platform, "ORD-1004") == "paid"
    assert level(platform, "TEC-550", "MED") == (40, 0)
    assert level(platform, "CAF-001", "BOG") == (140, 6)


def test_cancel_before_payment_releases_and_after_payment_refunds(platform: Platform) -> None:
    first = place(platform, [("MOD-101", 2)], warehouse="BOG")
    assert platform.bus.handle(mc.CancelOrder(order_id=first, actor=LAURA)) == "cancelled"
    assert level(platform, "MOD-101", "BOG") == (22, 1)
    second = place(platform, [("MOD-101", 1)], warehouse="BOG")
    platform.bus.handle(mc.PayOrder(order_id=second, actor=LAURA))
    assert platform.bus.handle(mc.CancelOrder(order_id=second, actor=LAURA)) == "refunded"
    assert level(platform, "MOD-101", "BOG") == (22, 1)
    with pytest.raises(IllegalTransition):
        platform.bus.handle(mc.CancelOrder(order_id="ORD-1001", actor=LAURA))  # already shipped


def test_declined_payment_keeps_the_order_payable(platform: Platform) -> None:
    order_id = place(platform, [("CAF-002", 1)], warehouse="BOG")
    declined = platform.bus.handle(mc.PayOrder(order_id=order_id, payment_token="tok_declined", actor=LAURA))
    assert declined.status == "declined"
    assert status(platform, order_id) == "pending_payment"
    assert platform.bus.handle(mc.PayOrder(order_id=order_id, actor=LAURA)).status == "approved"
    assert event_names(platform, order_id)[-3:] == ["payment.failed", "payment.success", "order.paid"]


@pytest.mark.parametrize(
    ("action", "error"),
    [
        (lambda p: place(p, [("MOD-103", 1)], warehouse="BAQ"), OutOfStock),
        (lambda p: place(p, [("CAF-001", 1), ("MOD-103", 8)]), OutOfStock),
        (lambda p: place(p, [("NOPE-1", 1)]), NotFound),
        (lambda p: place(p, [("CAF-001", 1)], warehouse="CAL"), NotFound),
        (lambda p: place(p, [("CAF-001", 1)], actor=CAFE), NotAuthorized),
        (lambda p: p.bus.handle(mc.PayOrder(order_id="ORD-1001", actor=LAURA)), IllegalTransition),
        (lambda p: p.bus.handle(mc.PayOrder(order_id="ORD-1002", actor=LAURA)), NotFound),  # Andrés's: not hers
        (lambda p: p.bus.handle(fc.ShipOrder(order_id="ORD-1002", carrier="X", tracking_number="1")),
         IllegalTransition),
        (lambda p: p.bus.handle(fc.DeliverOrder(order_id="ORD-1004")), IllegalTransition),
        (lambda p: p.bus.handle(fc.TransferStock(sku="CAF-001", from_warehouse="BAQ", to_warehouse="BOG",
                                                 quantity=29)), OutOfStock),
        (lambda p: p.bus.handle(fc.TransferStock(sku="TEC-550", from_warehouse="BOG", to_warehouse="MED",
                                                 quantity=1, actor=CAFE)), NotAuthorized),
        (lambda p: p.bus.handle(fc.AdjustStock(sku="CAF-001", warehouse="BAQ", delta=-29, reason="conteo")),
         OutOfStock),
        (lambda p: p.bus.handle(mc.RegisterSeller(id="SEL-NEW", legal_name="Nueva S.A.S.", nit="800197268-5",
                                                  city="Cali", contact_email="a@b.co")), InvalidInput),
        (lambda p: p.bus.handle(mc.UpdatePrice(sku="TEC-550", price_cop=1000, actor=CAFE)), NotAuthorized),
    ],
)
def test_rejected_commands_change_nothing(platform: Platform, action, error) -> None:  # type: ignore[no-untyped-def]
    before = snapshot(platform)
    with pytest.raises(error):
        action(platform)
    assert snapshot(platform) == before


def test_transfer_and_adjustment_write_balanced_ledger_rows(platform: Platform) -> None:
    platform.bus.handle(fc.TransferStock(sku="CAF-001", from_warehouse="MED", to_warehouse="BAQ", quantity=10,
                                         actor=CAFE))
    assert level(platform, "CAF-001", "MED") == (75, 0)
    assert level(platform, "CAF-001", "BAQ") == (40, 2)
    platform.bus.handle(fc.AdjustStock(sku="CAF-001", warehouse="BAQ", delta=-3, reason="averiados"))
    with platform.read_uow() as uow:
        moves = fviews.get_movements(uow=uow, principal=CAFE, sku="CAF-001", days=1)
        sums = uow.session.execute(select(func.sum(Movement.on_hand_delta)).where(
            Movement.sku == "CAF-001", Movement.warehouse == "BAQ")).scalar_one()
    assert [m.kind for m in moves[:3]] == ["adjustment", "transfer", "transfer"]
    assert sums == 37


def test_purchase_order_lifecycle_receives_stock(platform: Platform) -> None:
    po_id = platform.bus.handle(fc.CreatePurchaseOrder(
        supplier_id="SUP-04", warehouse="BOG", lines=[fc.PurchaseLine(sku="TEC-551", quantity=100)], actor=SYSTEM))
    assert po_id == "PO-0001"
    with pytest.raises(IllegalTransition):
        platform.bus.handle(fc.ReceivePurchaseOrder(purchase_order_id=po_id))
    with pytest.raises(NotFound):  # SEL-TECH's purchase order does not exist for SEL-CAFE
        platform.bus.handle(fc.ApprovePurchaseOrder(purchase_order_id=po_id, actor=CAFE))
    for cmd in (fc.ApprovePurchaseOrder, fc.SendPurchaseOrder, fc.ReceivePurchaseOrder):
        platform.bus.handle(cmd(purchase_order_id=po_id))
    assert level(platform, "TEC-551", "BOG") == (135, 5)
    assert event_names(platform, po_id) == ["purchase_order.created", "reorder.approved", "reorder.initiated"]


def test_reservations_never_exceed_on_hand_even_bypassing_the_domain(platform: Platform) -> None:
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    with platform.uow() as uow, pytest.raises(IntegrityError):
        uow.session.execute(update(StockLevel).where(StockLevel.sku == "MOD-103", StockLevel.warehouse == "MED")
                            .values(reserved=8))
        uow.commit()


def test_the_ledger_is_append_only(platform: Platform) -> None:
    from sqlalchemy import delete, update
    from sqlalchemy.exc import DatabaseError

    for statement in (update(Movement).values(on_hand_delta=0), delete(Movement)):
        with platform.uow() as uow, pytest.raises(DatabaseError, match="append-only"):
            uow.session.execute(statement)
            uow.commit()


def test_order_reservations_reference_the_order(platform: Platform) -> None:
    order_id = place(platform, [("CAF-003", 2)], warehouse="BOG")
    with platform.read_uow() as uow:
        rows = uow.session.scalars(select(Reservation).where(Reservation.reference == order_id)).all()
        assert [(r.sku, r.quantity, r.kind, r.status) for r in rows] == [("CAF-003", 2, "order", "active")]
        assert rows[0].expires_at is not None
        assert timedelta(hours=23) < rows[0].expires_at - rows[0].created_at <= timedelta(hours=24)
