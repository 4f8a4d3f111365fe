"""Deliver pending buyer and seller notifications on the channel each recipient last used.

Exactly once per row: a deliverer first claims a row with a conditional UPDATE
(pending → sending, attempts + 1, next_attempt_at = now + lease) and only the one whose UPDATE
matched sends. After the send the row becomes `sent`, or goes back to `pending` with an
exponential backoff, or `failed` after `max_attempts`. A deliverer that dies mid-send leaves a
`sending` row whose lease runs out and is claimed again (at-least-once only in that crash case).
Runs in its own loop, so a slow or failing channel never holds up the order flow.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, and_, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from commerce.identity.channels import WEB, WHATSAPP, last_used_channel, normalize_phone, whatsapp_window_open
from commerce.identity.models import User
from commerce.notifications import AccountNotification, BuyerNotification, NotificationStatus, SellerNotification
from commerce.shared.clock import utcnow
from infra.channels.whatsapp_client import WhatsAppClient, WhatsAppSendError

log = logging.getLogger(__name__)

WHATSAPP_TEMPLATE = "whatsapp-template"
SessionFactory = Callable[[], Session]
Notification = BuyerNotification | SellerNotification | AccountNotification
NotificationTable = type[BuyerNotification] | type[SellerNotification] | type[AccountNotification]


class WebPush(Protocol):
    """Live push to the user's open web chat (infra.channels.web_push)."""

    def publish(self, user_id: int, payload: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int = 6
    base_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(hours=1)
    # How long a claimed row stays ours; must exceed the slowest send (Graph API timeout ~10 s).
    lease: timedelta = timedelta(minutes=5)
    batch_size: int = 50
    # A pre-approved WhatsApp template with one body parameter: the notification text.
    template_name: str = "actualizacion_pedido"
    template_language: str = "es_CO"

    def backoff(self, attempts: int) -> timedelta:
        """Delay before attempt `attempts + 1`: base, 2×base, 4×base… capped at max_delay."""
        return min(self.base_delay * 2 ** max(attempts - 1, 0), self.max_delay)


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    channels: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Route:
    channel: str  # whatsapp (free text), whatsapp-template, web
    user_id: int
    address: str | None = None


@dataclass(frozen=True)
class Claim:
    notification_id: int
    attempts: int
    text: str
    order_id: str  # the row's reference: an order id (buyers) or a reorder cycle id (sellers)
    route: Route | None
    table: NotificationTable = BuyerNotification


class NoChannel(Exception):
    """The buyer or seller has no active user to notify."""


def deliver_pending(
    session_factory: SessionFactory,
    *,
    whatsapp_client: WhatsAppClient | None,
    web_push: WebPush | None,
    now: datetime | None = None,
    policy: DeliveryPolicy = DeliveryPolicy(),
) -> DeliveryReport:
    """Send every due notification once; return how many were sent, rescheduled and given up."""
    now = now or utcnow()
    report = DeliveryReport()
    for table in (BuyerNotification, SellerNotification, AccountNotification):
        for notification_id in _due_ids(session_factory, table, now, policy.batch_size):
            claim = _claim(session_factory, table, notification_id, now, policy,
                           whatsapp=whatsapp_client is not None)
            if claim is None:
                continue  # another deliverer claimed it first
            _deliver(session_factory, claim, whatsapp_client, web_push, now, policy, report)
    return report


def _deliver(session_factory: SessionFactory, claim: Claim, whatsapp_client: WhatsAppClient | None,
             web_push: WebPush | None, now: datetime, policy: DeliveryPolicy, report: DeliveryReport) -> None:
    try:
        channel = _send(claim, whatsapp_client, web_push, policy)
    except Exception as exc:
        _record_failure(session_factory, claim, exc, now, policy, report)
        return
    try:
        _record_success(session_factory, claim, channel, now, report)
    except Exception:
        # Sent but not marked: the lease runs out and the row is sent again (the one at-least-once case).
        log.exception("notification %d sent but not marked as sent", claim.notification_id)


def run_delivery_loop(
    session_factory: SessionFactory,
    *,
    whatsapp_client: WhatsAppClient | None,
    web_push: WebPush | None,
    stop: threading.Event,
    interval_seconds: float = 2.0,
    policy: DeliveryPolicy = DeliveryPolicy(),
) -> None:
    """Deliver due notifications every `interval_seconds` until `stop` is set (a worker thread)."""
    while not stop.is_set():
        try:
            report = deliver_pending(session_factory, whatsapp_client=whatsapp_client, web_push=web_push,
                                     policy=policy)
            if report.sent or report.retrying or report.failed:
                log.info("notifications: %d sent, %d to retry, %d failed", report.sent, report.retrying,
                         report.failed)
        except Exception:
            log.exception("notification delivery pass failed; retrying")
        stop.wait(interval_seconds)


def _is_due(n: NotificationTable, now: datetime) -> ColumnElement[bool]:
    pending, sending = NotificationStatus.PENDING, NotificationStatus.SENDING
    waiting = and_(n.status == pending, or_(n.next_attempt_at.is_(None), n.next_attempt_at <= now))
    abandoned = and_(n.status == sending, n.next_attempt_at <= now)  # lease ran out: deliverer died
    return or_(waiting, abandoned)


def _due_ids(session_factory: SessionFactory, table: NotificationTable, now: datetime, limit: int) -> list[int]:
    with session_factory() as session:
        ids = session.scalars(select(table.id).where(_is_due(table, now)).order_by(table.id).limit(limit)).all()
        session.rollback()
    return list(ids)


def _claim(session_factory: SessionFactory, table: NotificationTable, notification_id: int, now: datetime,
           policy: DeliveryPolicy, *, whatsapp: bool) -> Claim | None:
    """Take the row for this deliverer (conditional UPDATE) and decide where it goes."""
    with session_factory() as session:
        result = cast(CursorResult[Any], session.execute(
            update(table)
            .where(table.id == notification_id, _is_due(table, now))
            .values(status=NotificationStatus.SENDING, attempts=table.attempts + 1,
                    next_attempt_at=now + policy.lease)
            .execution_options(synchronize_session=False)
        ))
        if result.rowcount != 1:
            session.rollback()
            return None
        note = cast(Notification | None, session.get(table, notification_id))
        assert note is not None
        route: Route | None
        if isinstance(note, AccountNotification):
            route = Route(WEB, note.user_id)  # security notices: the account's own web chat, never WhatsApp
        elif isinstance(note, SellerNotification):
            route = route_for_seller(session, note.seller_id, now, whatsapp=whatsapp)
        else:
            route = route_for_buyer(session, note.buyer_id, now, whatsapp=whatsapp)
        claim = Claim(notification_id=note.id, attempts=note.attempts, text=note.text, order_id=note.reference,
                      route=route, table=table)
        session.commit()
    return claim


def route_for_buyer(session: Session, buyer_id: str, now: datetime, *, whatsapp: bool) -> Route | None:
    """The channel the buyer last used; WhatsApp as free text only inside the 24-hour window."""
    users = session.scalars(select(User).where(User.buyer_id == buyer_id, User.active.is_(True))
                            .order_by(User.id)).all()
    return _route_for_users(session, list(users), now, whatsapp=whatsapp)


def route_for_seller(session: Session, seller_id: str, now: datetime, *, whatsapp: bool) -> Route | None:
    """The channel the seller's users last used, by the same rules as a buyer's."""
    users = session.scalars(select(User).where(User.seller_id == seller_id, User.active.is_(True))
                            .order_by(User.id)).all()
    return _route_for_users(session, list(users), now, whatsapp=whatsapp)


def _route_for_users(session: Session, users: list[User], now: datetime, *, whatsapp: bool) -> Route | None:
    if not users:
        return None
    state = last_used_channel(session, [user.id for user in users])
    if state is not None and state.channel == WEB:
        return Route(WEB, state.user_id)
    if whatsapp:
        if state is not None:
            phone = state.address or next((u.phone for u in users if u.id == state.user_id and u.phone), None)
            if phone:
                channel = WHATSAPP if whatsapp_window_open(state, now) else WHATSAPP_TEMPLATE
                return Route(channel, state.user_id, normalize_phone(phone))
        # Never wrote to us on any channel: their registered mobile, through the template.
        with_phone = next((user for user in users if user.phone), None)
        if with_phone is not None and with_phone.phone:
            return Route(WHATSAPP_TEMPLATE, with_phone.id, normalize_phone(with_phone.phone))
    return Route(WEB, state.user_id if state is not None else users[0].id)


def _send(claim: Claim, whatsapp_client: WhatsAppClient | None, web_push: WebPush | None,
          policy: DeliveryPolicy) -> str:
    """Send on the claim's route; return the channel actually used. Raises on failure."""
    route = claim.route
    if route is None:
        raise NoChannel("no active user to notify")
    if route.channel == WEB:
        if web_push is None:
            raise RuntimeError("web push is not configured")
        if claim.table is AccountNotification:
            # No notification_id: the page dedups order/reorder notices by that id, and these have ids of their own.
            web_push.publish(route.user_id, {"type": "notification", "text": claim.text, "kind": "account"})
            return WEB
        reference = "cycle_id" if claim.table is SellerNotification else "order_id"
        web_push.publish(route.user_id, {"type": "notification", "text": claim.text, reference: claim.order_id,
                                         "notification_id": claim.notification_id})
        return WEB
    if whatsapp_client is None or not route.address:
        raise RuntimeError("WhatsApp is not configured")
    if route.channel == WHATSAPP:
        try:
            whatsapp_client.send_text(route.address, claim.text)
            return WHATSAPP
        except WhatsAppSendError as exc:
            if not exc.window_closed:
                raise
            # Meta says the window is closed after all (clocks differ): the template may still go out.
    whatsapp_client.send_template(route.address, policy.template_name, policy.template_language, [claim.text])
    return WHATSAPP_TEMPLATE


def _still_ours(claim: Claim) -> ColumnElement[bool]:
    # If our lease ran out and another deliverer re-claimed the row, its outcome wins.
    n = claim.table
    return and_(n.id == claim.notification_id, n.status == NotificationStatus.SENDING, n.attempts == claim.attempts)


def _record_success(session_factory: SessionFactory, claim: Claim, channel: str, now: datetime,
                    report: DeliveryReport) -> None:
    with session_factory() as session:
        session.execute(update(claim.table).where(_still_ours(claim)).values(
            status=NotificationStatus.SENT, sent_at=now, channel=channel, next_attempt_at=None, last_error=None))
        session.commit()
    report.sent += 1
    report.channels[channel] = report.channels.get(channel, 0) + 1


def _record_failure(session_factory: SessionFactory, claim: Claim, exc: Exception, now: datetime,
                    policy: DeliveryPolicy, report: DeliveryReport) -> None:
    # Only our own error types carry a message; others may quote payloads, so keep just their type.
    reason = f"{type(exc).__name__}: {exc}" if isinstance(exc, WhatsAppSendError | NoChannel) else type(exc).__name__
    give_up = isinstance(exc, NoChannel) or claim.attempts >= policy.max_attempts
    values: dict[str, Any] = {"last_error": reason[:200], "channel": claim.route.channel if claim.route else None}
    if give_up:
        values.update(status=NotificationStatus.FAILED, next_attempt_at=None)
        report.failed += 1
    else:
        values.update(status=NotificationStatus.PENDING, next_attempt_at=now + policy.backoff(claim.attempts))
        report.retrying += 1
    log.warning("notification %d: attempt %d failed (%s)%s", claim.notification_id, claim.attempts, reason,
                "; giving up" if give_up else "")
    with session_factory() as session:
        session.execute(update(claim.table).where(_still_ours(claim)).values(**values))
        session.commit()
