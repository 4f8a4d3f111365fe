"""Run a piece of work at most once per idempotency key, outside HTTP (confirmed agent tool calls).

The same protocol as the HTTP `Idempotency-Key` (commerce.shared.idempotency): claim the key with its
own command, do the work, store its JSON result with another; a retry with the same key and request gets the
stored result back instead of doing the work again.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
from collections.abc import Callable
from typing import Any

from commerce.shared import idempotency
from commerce.shared.messagebus import MessageBus, in_next_transaction

MAX_KEY_LENGTH = idempotency.MAX_KEY_LENGTH


def _fit(key: str) -> str:
    """Keys longer than the column are replaced by a stable digest (thread ids may be long)."""
    if len(key) <= MAX_KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def stored_result(bus: MessageBus, *, scope: str, key: str, request: Any) -> dict[str, Any] | None:
    """The stored result of finished work with this key and the same request, else None."""
    with bus.read() as uow:
        record = idempotency.stored(uow.session, scope=scope, key=_fit(key))
        if record is None or record.state != "done":
            return None
        if record.request_hash != idempotency.request_fingerprint(request):
            return None
        body: dict[str, Any] = record.response
        return body


def run_once(
    bus: MessageBus, *, scope: str, key: str, request: Any, work: Callable[[], dict[str, Any]],
    if_interrupted: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], bool]:
    """Run `work` unless the key already ran; return (result, replayed).

    Raises Conflict while another run of the same key is in flight and InvalidInput when the key
    was used for a different request. If `work` raises before any command of it committed, the claim is
    released so a retry may run.

    With `if_interrupted`, the first command `work` runs through the bus marks the key done in its own
    transaction, with `if_interrupted` as the stored result until `work` returns and its real result replaces
    it: a process that dies between the command's commit and storing the result leaves a key that replays
    `if_interrupted` (the work is never done twice), instead of a claim another process takes over once
    stale and runs again."""
    key = _fit(key)
    fingerprint = idempotency.request_fingerprint(request)
    replay = bus.handle(idempotency.ClaimIdempotencyKey(scope=scope, key=key, request_hash=fingerprint))
    if replay is not None:
        body: dict[str, Any] = replay.body
        return body, True
    joined = contextlib.nullcontext() if if_interrupted is None else in_next_transaction(
        functools.partial(idempotency.complete_idempotent_request, idempotency.CompleteIdempotentRequest(
            scope=scope, key=key, status_code=200, body=if_interrupted)))
    try:
        with joined:
            result = work()
    except BaseException:
        bus.handle(idempotency.ReleaseIdempotencyKey(scope=scope, key=key))
        raise
    bus.handle(idempotency.CompleteIdempotentRequest(scope=scope, key=key, status_code=200, body=result))
    return result, False
