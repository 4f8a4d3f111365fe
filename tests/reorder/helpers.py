"""Shared steps of the reorder phase-B tests: run a cycle, relay its events, deliver the notifications."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from commerce.fulfillment.reorder import CycleResult, RunReorderCycle
from commerce.notifications import SellerNotification
from commerce.shared.outbox import OutboxMessage
from infra.bootstrap import Platform
from infra.channels.delivery import deliver_pending

CAFE_EMAIL = "ventas@cafeorigen.example.co"
TECH_EMAIL = "soporte@tecnohogar.example.co"
ADMIN_EMAIL = "admin@mestocker.example.co"


class FakePush:
    """The web chat's live feed: what each user's open page received."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, dict[str, Any]]] = []

    def publish(self, user_id: int, payload: dict[str, Any]) -> None:
        self.sent.append((user_id, payload))


def run_cycle_and_relay(platform: Platform, cycle_id: str, seller_id: str | None = None) -> CycleResult:
    result: CycleResult = platform.bus.handle(RunReorderCycle(cycle_id=cycle_id, seller_id=seller_id))
    platform.relay.drain()  # in-process publisher: the consumers run here
    return result


def seller_notifications(platform: Platform, seller_id: str | None = None) -> list[SellerNotification]:
    with platform.read_uow() as uow:
        stmt = select(SellerNotification).order_by(SellerNotification.id)
        if seller_id:
            stmt = stmt.where(SellerNotification.seller_id == seller_id)
        rows = list(uow.session.scalars(stmt))
        uow.session.expunge_all()
    return rows


def deliver(platform: Platform) -> FakePush:
    push = FakePush()
    deliver_pending(platform.session_factory, whatsapp_client=None, web_push=push)
    return push


def outbox_names(platform: Platform, key: str | None = None) -> list[str]:
    with platform.read_uow() as uow:
        stmt = select(OutboxMessage).order_by(OutboxMessage.seq)
        return [m.name for m in uow.session.scalars(stmt) if key is None or key in str(m.payload)]
