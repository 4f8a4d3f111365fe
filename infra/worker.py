"""The background worker: outbox relay, broker consumers, the reservation sweeper and the idempotency purge."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from commerce.fulfillment.commands import ReleaseExpiredReservations
from commerce.shared.idempotency import PurgeIdempotencyKeys

if TYPE_CHECKING:  # the composition root builds the platform and starts this loop
    from infra.bootstrap import Platform

log = logging.getLogger(__name__)


def run_worker(platform: Platform, stop: threading.Event) -> None:
    """Loop until `stop` is set: relay the outbox, consume the broker, sweep expired reservations,
    purge idempotency keys past their retention."""
    settings = platform.settings
    subscriber = platform.subscriber()
    next_sweep = next_purge = 0.0
    try:
        while not stop.is_set():
            platform.relay.drain()
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
            # Wake up early when a command committed new events.
            platform.outbox_signal.wait(settings.relay_interval_seconds)
            platform.outbox_signal.clear()
    finally:
        if subscriber is not None:
            subscriber.close()


def _sweep(platform: Platform) -> None:
    try:
        released = platform.bus.handle(ReleaseExpiredReservations())
        if released:
            log.info("released %d expired reservations", released)
    except Exception:
        log.exception("reservation sweeper failed; will retry")


def _purge(platform: Platform) -> None:
    try:
        purged = platform.bus.handle(PurgeIdempotencyKeys(retention=platform.settings.idempotency_retention))
        if purged:
            log.info("purged %d idempotency keys past their retention", purged)
    except Exception:
        log.exception("idempotency purge failed; will retry")
