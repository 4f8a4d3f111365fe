"""The seller hears of a cycle's proposals once, on the channel they last used (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import select

from commerce.fulfillment.reorder_proposals import ReorderProposal
from commerce.identity.principal import Principal, Role
from commerce.notifications import NotificationStatus, list_notifications
from commerce.shared.money import format_cop
from commerce.shared.outbox import OutboxMessage
from infra.bootstrap import Platform
from tests.reorder.helpers import CAFE_EMAIL, deliver, outbox_names, run_cycle_and_relay, seller_notifications

CAFE = Principal.for_role(user_id=3, email=CAFE_EMAIL, role=Role.CLIENTE, seller_id="SEL-CAFE")


def test_one_notification_per_cycle_and_seller(platform: Platform) -> None:
    result = run_cycle_and_relay(platform, "notify-1")
    sellers = {p.seller_id for p in result.proposals}
    notes = seller_notifications(platform)
    assert sorted(n.seller_id for n in notes) == sorted(sellers)  # one each, however many drafts
    assert {n.cycle_id for n in notes} == {"notify-1"}
    cafe = next(n for n in notes if n.seller_id == "SEL-CAFE")
    for p in (p for p in result.proposals if p.seller_id == "SEL-CAFE"):
        assert p.sku in cafe.text and p.warehouse in cafe.text and f"{p.quantity} u" in cafe.text
        assert format_cop(p.cost_cop) in cafe.text
    # The relay is at-least-once: the same reorder.initiated envelopes again write nothing.
    with platform.read_uow() as uow:
        rows = uow.session.scalars(select(OutboxMessage).where(OutboxMessage.name == "reorder.initiated"))
        envelopes = [m.envelope() for m in rows]
    assert len(envelopes) == len(result.purchase_orders) > len(notes)  # some seller has several drafts
    for envelope in envelopes:
        platform.consumers(envelope)
    assert len(seller_notifications(platform)) == len(notes)


def test_a_replayed_or_empty_cycle_notifies_nobody_again(platform: Platform) -> None:
    run_cycle_and_relay(platform, "notify-1")
    first = len(seller_notifications(platform))
    run_cycle_and_relay(platform, "notify-1")  # replayed: nothing written
    run_cycle_and_relay(platform, "notify-2")  # new cycle, every pair covered: no proposal, no notification
    assert len(seller_notifications(platform)) == first


def test_a_hand_written_draft_sends_no_reorder_notification(platform: Platform) -> None:
    from commerce.fulfillment import commands as fc

    po_id = platform.bus.handle(fc.CreatePurchaseOrder(supplier_id="SUP-01", warehouse="BOG",
                                                       lines=[fc.PurchaseLine(sku="CAF-001", quantity=48)]))
    platform.bus.handle(fc.ApprovePurchaseOrder(purchase_order_id=po_id))  # a manual approval: reorder.initiated
    platform.relay.drain()
    assert "reorder.initiated" in outbox_names(platform, po_id)
    assert seller_notifications(platform) == []


def test_delivered_on_the_web_feed_of_the_sellers_user(platform: Platform) -> None:
    run_cycle_and_relay(platform, "notify-1")
    push = deliver(platform)
    cafe = next(n for n in seller_notifications(platform, "SEL-CAFE"))
    sent = [payload for user, payload in push.sent if user == CAFE.user_id]
    assert [p["text"] for p in sent] == [cafe.text]
    assert sent[0]["cycle_id"] == "notify-1" and sent[0]["notification_id"] == cafe.id
    assert seller_notifications(platform, "SEL-CAFE")[0].status == NotificationStatus.SENT
    assert deliver(platform).sent == []  # sent once
    with platform.read_uow() as uow:  # a page opened later catches up from GET /v1/notifications
        recent = list_notifications(uow=uow, principal=CAFE)
        proposals = uow.session.scalars(select(ReorderProposal.id).where(ReorderProposal.seller_id == "SEL-CAFE"))
        assert list(proposals)
    assert [(n.cycle_id, n.text) for n in recent] == [("notify-1", cafe.text)]


def _proposal(kind: str, quantity: int, cost: int, po: str | None = None) -> ReorderProposal:
    return ReorderProposal(kind=kind, sku="CAF-002", warehouse="MED", from_warehouse="BOG" if po is None else None,
                           purchase_order_id=po, quantity=quantity, cost_cop=cost)


def test_the_text_names_what_can_be_approved() -> None:
    from commerce.notifications import compose_reorder

    one = compose_reorder([(_proposal("purchase", 96, 1_104_000, "PO-0007"), "draft")])
    assert one.startswith("Tienes 1 propuesta de reabastecimiento nueva: comprar 96 u de CAF-002 para MED por "
                          "$1.104.000 (PO-0007).")
    assert "«aprueba PO-0007»" in one
    moved = compose_reorder([(_proposal("transfer", 42, 84_000), None)])
    assert "trasladar 42 u de CAF-002 de BOG a MED (flete $84.000)" in moved and "aprueba" not in moved
    auto = compose_reorder([(_proposal("purchase", 48, 552_000, "PO-0008"), "approved")])
    assert "(aprobada automáticamente)" in auto and "aprueba PO" not in auto
    many = compose_reorder([(_proposal("purchase", 48, 1000 * i, f"PO-{i:04d}"), "draft") for i in range(1, 8)])
    assert "y 2 más" in many and "PO-0006" not in many and len(many) <= 1000
