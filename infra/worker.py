"""The background worker: outbox relay, broker consumers, the reservation sweeper, the idempotency purge
and the reorder agent's schedule."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from commerce.fulfillment.commands import ReleaseExpiredReservations
from commerce.fulfillment.reorder import RunReorderCycle
from commerce.fulfillment.reorder_triggers import sale_cycle_id
from commerce.identity.principal import WORKER
from commerce.shared.clock import to_bogota, utcnow
from commerce.shared.idempotency import PurgeIdempotencyKeys

if TYPE_CHECKING:  # the composition root builds the platform and starts this loop
    from infra.bootstrap import Platform

log = logging.getLogger(__name__)


class ReorderScheduler:
    """Which reorder cycles are due: one per schedule slot (the first soon after start) and one per large sale.

    A scheduled cycle is named after its slot (`RC-S<Bogotá yyyymmddHHMM>-ALL`), so two workers, or a worker
    restarted within the slot, run it once; a large sale's cycle is named after its movement. The sale
    consumer and the worker loop share this object, so it is thread-safe."""

    def __init__(self, *, interval: timedelta, first_delay: timedelta, now: datetime | None = None) -> None:
        self.interval = interval
        self._next_at: datetime | None = (now or utcnow()) + first_delay if interval > timedelta(0) else None
        self._sales: dict[int, str] = {}  # movement id → seller id, in arrival order
        self._lock = threading.Lock()

    def request_for_sale(self, seller_id: str, movement_id: int) -> None:
        """A large sale asks for a cycle of its seller (asked twice, it still runs once)."""
        with self._lock:
            self._sales.setdefault(movement_id, seller_id)

    def due(self, now: datetime | None = None) -> list[RunReorderCycle]:
        """The cycles to run now; each is handed out once."""
        now = now or utcnow()
        with self._lock:
            sales, self._sales = self._sales, {}
            cycles = [RunReorderCycle(cycle_id=sale_cycle_id(seller, movement), seller_id=seller, actor=WORKER)
                      for movement, seller in sales.items()]
            if self._next_at is not None and now >= self._next_at:
                start = self._slot_start(now)
                cycles.append(RunReorderCycle(cycle_id=f"RC-S{to_bogota(start):%Y%m%d%H%M}-ALL", actor=WORKER))
                self._next_at = start + self.interval
        return cycles

    def _slot_start(self, now: datetime) -> datetime:
        seconds = self.interval.total_seconds()
        return datetime.fromtimestamp(now.timestamp() // seconds * seconds, tz=now.tzinfo)


def run_worker(platform: Platform, stop: threading.Event) -> None:
    """Loop until `stop` is set: relay the outbox, consume the broker, sweep expired reservations,
    purge idempotency keys past their retention."""
    settings = platform.settings
    subscriber = platform.subscriber()
    next_sweep = next_purge = 0.0
    scheduler = platform.reorder_scheduler
    try:
        while not stop.is_set():
            try:
                platform.relay.drain()
            except Exception:  # the database went away: the rows stay unpublished, the next round retries
                log.exception("outbox relay failed; retrying")
                stop.wait(1.0)
            if subscriber is not None:
                try:
                    subscriber.poll(platform.consumers, timeout=0.2)
                except Exception:
                    log.exception("consumer poll failed; retrying")
                    stop.wait(1.0)
            if time.monotonic() >= next_sweep:
                _sweep(platform)
                next_sweep = time.monotonic() + settings.sweeper_interval_seconds
            if time.monotonic() >= next_purge:
                _purge(platform)
                next_purge = time.monotonic() + settings.idempotency_purge_interval_seconds
            for cycle in scheduler.due():
                _reorder(platform, cycle)
            _poll_payments(platform)
            # Wake up early when a command committed new events.
            platform.outbox_signal.wait(settings.relay_interval_seconds)
            platform.outbox_signal.clear()
    finally:
        if subscriber is not None:
            subscriber.close()


def _poll_payments(platform: Platform) -> None:
    """Ask push-payment gateways (Nequi) about their pending intents; the poller keeps its own backoff."""
    try:
        platform.payment_poller.run_once()
    except Exception:
        log.exception("payment status polling failed; will retry")


def _sweep(platform: Platform) -> None:
    try:
        released = platform.bus.handle(ReleaseExpiredReservations())
        if released:
            log.info("released %d expired reservations", released)
    except Exception:
        log.exception("reservation sweeper failed; will retry")


def _reorder(platform: Platform, cycle: RunReorderCycle) -> None:
    try:
        result = platform.bus.handle(cycle)
        if not result.replayed:
            log.info("reorder cycle %s: %d proposal(s), %d purchase order draft(s)", result.cycle_id,
                     len(result.proposals), len(result.purchase_orders))
    except Exception:
        # e.g. another worker running the same slot's cycle at this moment: it commits, we skip.
        log.exception("reorder cycle %s failed; the next slot retries", cycle.cycle_id)


def _purge(platform: Platform) -> None:
    try:
        purged = platform.bus.handle(PurgeIdempotencyKeys(retention=platform.settings.idempotency_retention))
        if purged:
            log.info("purged %d idempotency keys past their retention", purged)
    except Exception:
        log.exception("idempotency purge failed; will retry")
