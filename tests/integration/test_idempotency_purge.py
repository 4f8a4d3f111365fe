"""Idempotency keys are purged after their retention, by a command the background worker sends."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from commerce.shared.clock import utcnow
from commerce.shared.idempotency import (
    ClaimIdempotencyKey,
    CompleteIdempotentRequest,
    IdempotencyRecord,
    PurgeIdempotencyKeys,
    request_fingerprint,
)
from infra.bootstrap import Platform, bootstrap
from infra.worker import run_worker
from tests.conftest import make_settings

SCOPE = "POST /v1/orders:6"


def _claim(platform: Platform, key: str, *, finished: bool, age: timedelta) -> None:
    fingerprint = request_fingerprint({"key": key})
    assert platform.bus.handle(ClaimIdempotencyKey(scope=SCOPE, key=key, request_hash=fingerprint)) is None
    if finished:
        platform.bus.handle(CompleteIdempotentRequest(scope=SCOPE, key=key, status_code=201, body={"id": key}))
    with platform.session_factory() as session:  # test set-up: age the claim
        session.execute(update(IdempotencyRecord).where(IdempotencyRecord.key == key)
                        .values(created_at=utcnow() - age))
        session.commit()


def _keys(platform: Platform) -> set[str]:
    with platform.read_session_factory() as session:
        return set(session.scalars(select(IdempotencyRecord.key).where(IdempotencyRecord.scope == SCOPE)))


def test_the_purge_deletes_finished_and_abandoned_keys_past_the_retention(platform: Platform) -> None:
    _claim(platform, "old-done", finished=True, age=timedelta(hours=25))
    _claim(platform, "fresh-done", finished=True, age=timedelta(hours=1))
    _claim(platform, "old-abandoned", finished=False, age=timedelta(hours=25))
    _claim(platform, "in-flight", finished=False, age=timedelta(seconds=5))
    purged = platform.bus.handle(PurgeIdempotencyKeys(retention=timedelta(hours=24)))
    assert purged == 2
    assert _keys(platform) == {"fresh-done", "in-flight"}
    # A purged key is free again: the same key and body do the work anew instead of replaying.
    again = platform.bus.handle(ClaimIdempotencyKey(scope=SCOPE, key="old-done",
                                                    request_hash=request_fingerprint({"key": "old-done"})))
    assert again is None


def test_a_replay_within_the_retention_still_gets_the_stored_response(platform: Platform) -> None:
    _claim(platform, "recent", finished=True, age=timedelta(hours=23))
    assert platform.bus.handle(PurgeIdempotencyKeys(retention=timedelta(hours=24))) == 0
    replay = platform.bus.handle(ClaimIdempotencyKey(scope=SCOPE, key="recent",
                                                     request_hash=request_fingerprint({"key": "recent"})))
    assert replay is not None and replay.status_code == 201 and replay.body == {"id": "recent"}


def test_the_worker_purges_with_the_configured_retention(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, database_url, idempotency_retention_hours=2,
                             idempotency_purge_interval_seconds=0.05, relay_interval_seconds=0.05)
    platform = bootstrap(settings)
    stop = threading.Event()
    worker = threading.Thread(target=run_worker, args=(platform, stop), daemon=True)
    try:
        _claim(platform, "three-hours", finished=True, age=timedelta(hours=3))
        _claim(platform, "one-hour", finished=True, age=timedelta(hours=1))
        worker.start()
        deadline = time.monotonic() + 10
        while "three-hours" in _keys(platform) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _keys(platform) == {"one-hour"}
    finally:
        stop.set()
        platform.outbox_signal.set()
        worker.join(timeout=10)
        platform.close()
