"""Live push of proactive notifications to open web chat pages.

A hub fans a JSON payload out to every open page (subscription) of one user. Delivery is live
only: a page that is not open misses the push — the notification itself is stored by the
buyer-notification consumer, so nothing is lost, only not shown live. Payloads the page renders
carry a Spanish ``text`` (e.g. ``{"type": "notification", "text": "Tu pedido ORD-1001 va en
camino…", "order_id": "ORD-1001"}``).

Two implementations: ``InProcessWebPushHub`` (embedded: publisher and pages share the process)
and ``RedisWebPushHub`` (production: any process publishes with XADD, each API replica reads
with XREAD BLOCK).
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import queue
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any

import redis

from infra.settings import Settings

log = logging.getLogger(__name__)

Payload = dict[str, Any]

DEFAULT_QUEUE_SIZE = 100
STREAM_MAXLEN = 1000
STREAM_PREFIX = "mestocker:webpush:"
# A blocking XREAD is split into slices so close() takes effect within one slice and a dead
# Redis surfaces as a socket timeout instead of a hang.
_BLOCK_SLICE_SECONDS = 1.0


class Subscription(ABC):
    """One open page's feed of payloads for one user."""

    @abstractmethod
    def get(self, timeout: float | None = None) -> Payload | None:
        """Wait up to `timeout` seconds (forever when None) for the next payload; None on timeout or close."""

    @abstractmethod
    def close(self) -> None:
        """Stop receiving; wakes a `get` blocked in another thread. Idempotent."""

    @property
    @abstractmethod
    def closed(self) -> bool: ...

    def __iter__(self) -> Iterator[Payload]:
        while not self.closed:
            payload = self.get(timeout=_BLOCK_SLICE_SECONDS)
            if payload is not None:
                yield payload

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class WebPushHub(ABC):
    """Publishes payloads to the open pages of a user."""

    @abstractmethod
    def publish(self, user_id: int, payload: Payload) -> None:
        """Push `payload` to every page `user_id` has open right now."""

    @abstractmethod
    def subscribe(self, user_id: int) -> Subscription:
        """Open a feed of what is published to `user_id` from now on."""

    @abstractmethod
    def close(self) -> None:
        """Close every subscription's source and release connections (at shutdown)."""


# --------------------------------------------------------------------------------------------
# In-process
# --------------------------------------------------------------------------------------------

_CLOSED = object()


class _QueueSubscription(Subscription):
    def __init__(self, hub: InProcessWebPushHub, user_id: int, maxsize: int) -> None:
        self._hub, self.user_id = hub, user_id
        self._queue: queue.Queue[object] = queue.Queue(maxsize=maxsize + 1)  # +1: room for the close marker
        self._maxsize = maxsize
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def offer(self, payload: Payload) -> None:
        """Enqueue without blocking; a slow page loses its oldest payloads, never blocks the publisher."""
        while self._queue.qsize() >= self._maxsize:
            with contextlib.suppress(queue.Empty):
                self._queue.get_nowait()
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(payload)

    def get(self, timeout: float | None = None) -> Payload | None:
        if self._closed:
            return None
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        if item is _CLOSED:
            return None
        assert isinstance(item, dict)
        return item

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._hub._remove(self)
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(_CLOSED)


class InProcessWebPushHub(WebPushHub):
    """Thread-safe per-user fan-out to bounded queues (embedded profile)."""

    def __init__(self, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        self.queue_size = queue_size
        self._lock = threading.Lock()
        self._subscribers: dict[int, set[_QueueSubscription]] = collections.defaultdict(set)

    def publish(self, user_id: int, payload: Payload) -> None:
        with self._lock:
            targets = list(self._subscribers.get(user_id, ()))
        for subscription in targets:
            subscription.offer(dict(payload))

    def subscribe(self, user_id: int) -> Subscription:
        subscription = _QueueSubscription(self, user_id, self.queue_size)
        with self._lock:
            self._subscribers[user_id].add(subscription)
        return subscription

    def close(self) -> None:
        with self._lock:
            subscriptions = [s for group in self._subscribers.values() for s in group]
        for subscription in subscriptions:
            subscription.close()

    def subscriber_count(self, user_id: int) -> int:
        """How many pages of `user_id` are listening (for tests and metrics)."""
        with self._lock:
            return len(self._subscribers.get(user_id, ()))

    def _remove(self, subscription: _QueueSubscription) -> None:
        with self._lock:
            subscribers = self._subscribers.get(subscription.user_id)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._subscribers[subscription.user_id]


# --------------------------------------------------------------------------------------------
# Redis Streams
# --------------------------------------------------------------------------------------------


def stream_key(user_id: int) -> str:
    return f"{STREAM_PREFIX}{user_id}"


class _RedisSubscription(Subscription):
    def __init__(self, client: redis.Redis, key: str) -> None:
        self._client, self._key = client, key
        self._buffer: collections.deque[Payload] = collections.deque()
        self._closed = False
        # Resolve "$" now: XREAD with "$" on the first get() would miss what is published
        # between subscribe() and that call.
        last: Any = client.xrevrange(key, count=1)
        self._last_id: bytes | str = last[0][0] if last else "0-0"

    @property
    def closed(self) -> bool:
        return self._closed

    def get(self, timeout: float | None = None) -> Payload | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._closed:
            if self._buffer:
                return self._buffer.popleft()
            remaining = _BLOCK_SLICE_SECONDS if deadline is None else deadline - time.monotonic()
            if remaining <= 0:
                return None
            self._read(min(remaining, _BLOCK_SLICE_SECONDS))
        return None

    def _read(self, seconds: float) -> None:
        reply: Any = self._client.xread({self._key: self._last_id}, count=100, block=max(1, int(seconds * 1000)))
        for _stream, entries in reply or ():
            for message_id, fields in entries:
                self._last_id = message_id
                raw = fields.get(b"payload") or fields.get("payload")
                try:
                    self._buffer.append(json.loads(raw))
                except (TypeError, ValueError):
                    log.warning("web push: skipping malformed entry %s in %s", message_id, self._key)

    def close(self) -> None:
        self._closed = True


class RedisWebPushHub(WebPushHub):
    """Per-user Redis Streams `mestocker:webpush:{user_id}`, trimmed to about the last 1000 entries."""

    def __init__(self, redis_url: str) -> None:
        # socket_timeout must outlast one blocking XREAD slice.
        self.client = redis.Redis.from_url(redis_url, socket_timeout=_BLOCK_SLICE_SECONDS + 5,
                                           socket_connect_timeout=2)

    def publish(self, user_id: int, payload: Payload) -> None:
        self.client.xadd(stream_key(user_id), {"payload": json.dumps(payload, ensure_ascii=False)},
                         maxlen=STREAM_MAXLEN, approximate=True)

    def subscribe(self, user_id: int) -> Subscription:
        return _RedisSubscription(self.client, stream_key(user_id))

    def close(self) -> None:
        self.client.close()


def build_web_push_hub(settings: Settings) -> WebPushHub:
    """Redis when a Redis URL is configured (several API processes), in-process otherwise."""
    if settings.redis_url:
        return RedisWebPushHub(settings.redis_url)
    return InProcessWebPushHub()
