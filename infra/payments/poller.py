"""Polls pending payments of gateways confirmed by status queries (Nequi) with exponential backoff.

Each pending intent is asked after `initial`, then after twice as long each time up to `maximum`; a final
answer is applied like a notification (RecordPaymentNotification: deduplicated, recorded raw); an intent
still pending after `timeout` expires (ExpirePayment). The schedule lives in memory: after a restart the
worker simply asks again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from commerce.marketplace import commands
from commerce.marketplace.payment_views import pending_payments
from commerce.marketplace.payments import Gateways, PaymentStatus
from commerce.shared.clock import utcnow
from commerce.shared.errors import CommerceError
from commerce.shared.messagebus import MessageBus

log = logging.getLogger(__name__)


@dataclass
class _Schedule:
    next_at: datetime
    delay: timedelta


class PaymentPoller:
    def __init__(self, bus: MessageBus, gateways: Gateways, *, names: tuple[str, ...], timeout: timedelta,
                 initial: timedelta, maximum: timedelta) -> None:
        self.bus, self.gateways, self.names = bus, gateways, names
        self.timeout, self.initial, self.maximum = timeout, initial, maximum
        self._schedule: dict[str, _Schedule] = {}

    def run_once(self, now: datetime | None = None) -> int:
        """Poll every due pending payment once; return how many reached a final state or expired."""
        now = now or utcnow()
        settled = 0
        for name in self.names:
            with self.bus.read() as uow:
                pending = pending_payments(uow=uow, gateway=name)
            for payment in pending:
                if self._settle(name, payment.id, payment.transaction_id, payment.created_at, now):
                    settled += 1
        return settled

    def _settle(self, gateway: str, payment_id: str, transaction_id: str | None, created_at: datetime,
                now: datetime) -> bool:
        if now - created_at >= self.timeout:
            self._schedule.pop(payment_id, None)
            return bool(self.bus.handle(commands.ExpirePayment(
                payment_id=payment_id, reason="no aceptaste la solicitud de pago en Nequi a tiempo")))
        entry = self._schedule.setdefault(payment_id, _Schedule(created_at + self.initial, self.initial))
        if now < entry.next_at or not transaction_id:
            return False
        try:
            notice = self.gateways.get(gateway).poll(reference=payment_id, transaction_id=transaction_id)
        except CommerceError:
            log.warning("polling %s %s failed; backing off", gateway, payment_id)
            notice = None
        if notice is None or notice.status == PaymentStatus.PENDING:
            entry.delay = min(entry.delay * 2, self.maximum)
            entry.next_at = now + entry.delay
            return False
        self._schedule.pop(payment_id, None)
        self.bus.handle(commands.RecordPaymentNotification(
            gateway=notice.gateway, reference=notice.reference, transaction_id=notice.transaction_id,
            status=notice.status, amount_cop=notice.amount_cop, currency=notice.currency, reason=notice.reason,
            raw=dict(notice.raw)))
        return True
