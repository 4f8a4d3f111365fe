"""Redis Streams transport: XADD to publish, consumer groups (XREADGROUP + XACK) to consume."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import redis

from commerce.shared.events import EventEnvelope
from infra.bus.base import EnvelopeHandler, Publisher, PublishError, Subscriber

MAX_STREAM_LENGTH = 1_000_000


class RedisStreamsPublisher(Publisher):
    name = "redis"

    def __init__(self, url: str, stream: str) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
        self.stream = stream

    def publish(self, envelopes: Sequence[EventEnvelope]) -> None:
        try:
            pipe = self.client.pipeline(transaction=False)
            for envelope in envelopes:
                pipe.xadd(self.stream, {"event": envelope.model_dump_json()}, maxlen=MAX_STREAM_LENGTH,
                          approximate=True)
            pipe.execute()
        except redis.RedisError as exc:
            raise PublishError(f"redis: {exc}") from exc

    def ping(self) -> bool:
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False

    def close(self) -> None:
        self.client.close()


class RedisStreamsSubscriber(Subscriber):
    """One consumer of a consumer group. Unacknowledged messages are re-read after a restart or a failure.

    Nothing is asked of Redis until the first poll, so a worker that starts while Redis is down waits for it
    instead of dying. The group is created on first use and again when Redis answers NOGROUP (a Redis that
    came back without its data: the stream and the group are gone, the outbox has the events). After any
    failure (Redis, or a handler raising) the next poll first re-reads this consumer's pending entries:
    a message is acknowledged only after its handler succeeded, and redelivered until it does."""

    def __init__(self, url: str, stream: str, group: str, consumer: str) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=2)
        self.stream, self.group, self.consumer = stream, group, consumer
        self._pending_first = True
        self._group_ready = False

    def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            self.client.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    def poll(self, handler: EnvelopeHandler, *, timeout: float = 1.0, max_messages: int = 100) -> int:
        try:
            return self._poll(handler, timeout=timeout, max_messages=max_messages)
        except redis.ResponseError as exc:
            self._pending_first = True
            if "NOGROUP" in str(exc):
                self._group_ready = False  # created again on the next poll
            raise
        except BaseException:
            self._pending_first = True  # what was read and not acknowledged is read again
            raise

    def _poll(self, handler: EnvelopeHandler, *, timeout: float, max_messages: int) -> int:
        self._ensure_group()
        # First drain what this consumer read before but never acknowledged (crash recovery).
        start = "0" if self._pending_first else ">"
        block = None if self._pending_first else max(1, int(timeout * 1000))
        reply: Any = self.client.xreadgroup(self.group, self.consumer, {self.stream: start}, count=max_messages,
                                            block=block)
        entries: list[Any] = reply[0][1] if reply else []
        if self._pending_first and not entries:
            self._pending_first = False
        handled = 0
        for message_id, fields in entries:
            raw = fields.get(b"event") or fields.get("event")
            handler(EventEnvelope.model_validate(json.loads(raw)))
            self.client.xack(self.stream, self.group, message_id)
            handled += 1
        return handled

    def close(self) -> None:
        self.client.close()
