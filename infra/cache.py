"""Read cache adapters (commerce.shared.cache.ReadCache) and the two paths that invalidate them.

- `MemoryCache`: an in-process LRU with a TTL (cachetools), the embedded default; one process only.
- `RedisCache`: one cache shared by every API worker and the background worker (production).

Both keep a generation number per group: an entry is served only while it carries its group's current
generation, so invalidating is one increment (no key scans) and a value loaded before a commit but stored
after that commit's invalidation is never served.

Invalidation runs twice for each committed event: at once, in the committing process, from the outbox rows
the transaction wrote (`invalidate_on_commit`); and again when the relay delivers the event (the in-process
relay embedded, the Redis Streams / Kafka consumer in the worker: `CacheInvalidator`). The second path is
the guarantee (a process that dies between its commit and its invalidation, another deployment's writer);
the first makes a client read its own write. docs/performance.md has the measured bound.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from cachetools import TTLCache
from pydantic import TypeAdapter
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from commerce.shared.cache import INVALIDATING_EVENTS, MISS, ReadCache, invalidated_groups
from commerce.shared.events import EventEnvelope
from commerce.shared.outbox import OUTBOX_WRITTEN, OutboxMessage

log = logging.getLogger(__name__)

T = TypeVar("T")
_PENDING = "mestocker.cache_groups"  # Session.info key: groups the open transaction's outbox rows invalidate


class CacheStats:
    """Hit, miss and error counts of one cache (read by /metrics)."""

    def __init__(self) -> None:
        self.hits = self.misses = self.errors = self.invalidations = 0


class MemoryCache(ReadCache):
    """An in-process LRU bounded in entries and age; thread-safe."""

    name = "memory"

    def __init__(self, *, max_entries: int = 10_000, ttl_seconds: float = 60.0) -> None:
        self._entries: TTLCache[tuple[str, str], tuple[int, Any]] = TTLCache(max_entries, ttl_seconds)
        self._generations: dict[str, int] = {}
        self._lock = threading.Lock()
        self.stats = CacheStats()

    def get_or_load(self, group: str, key: str, kind: Any, load: Callable[[], T | None]) -> T | None:
        with self._lock:
            generation = self._generations.get(group, 0)
            entry = self._entries.get((group, key))
        if entry is not None and entry[0] == generation:
            self.stats.hits += 1
            return entry[1]  # type: ignore[no-any-return]
        self.stats.misses += 1
        value = load()
        if value is not None:
            with self._lock:
                if self._generations.get(group, 0) == generation:
                    self._entries[(group, key)] = (generation, value)
        return value

    def peek(self, group: str, key: str) -> Any:
        with self._lock:
            generation = self._generations.get(group, 0)
            entry = self._entries.get((group, key))
        if entry is not None and entry[0] == generation:
            self.stats.hits += 1
            return entry[1]
        return MISS

    def invalidate(self, groups: Iterable[str]) -> None:
        with self._lock:
            for group in groups:
                self._generations[group] = self._generations.get(group, 0) + 1
                self.stats.invalidations += 1


class NearCache:
    """This process's copies of shared-cache entries, each valid while its group's local generation stands.

    A local generation moves when this process invalidates the group, when any process announces an
    invalidation on the cache's Redis channel (`RedisCache` listens), and all at once when that channel is
    lost: copies are served only while the subscription is live, so a missed announcement can never keep a
    stale copy. The TTL bounds a copy's age even if a dead connection went unnoticed."""

    def __init__(self, *, max_entries: int, ttl_seconds: float) -> None:
        self._entries: TTLCache[tuple[str, str], tuple[int, Any]] = TTLCache(max_entries, ttl_seconds)
        self._generations: dict[str, int] = {}
        self._epoch = 0  # bumped when the subscription is (re)made or lost: every copy is void
        self._live = False
        self._lock = threading.Lock()

    def stamp(self, group: str) -> tuple[int, int]:
        """What a reader notes before asking Redis; `keep` stores its answer only if nothing moved since."""
        with self._lock:
            return self._epoch, self._generations.get(group, 0)

    def get(self, group: str, key: str) -> Any:
        with self._lock:
            if not self._live:
                return MISS
            entry = self._entries.get((group, key))
            if entry is None or entry[0] != self._generations.get(group, 0):
                return MISS
            return entry[1]

    def keep(self, group: str, key: str, stamp: tuple[int, int], value: Any) -> None:
        with self._lock:
            if self._live and stamp == (self._epoch, self._generations.get(group, 0)):
                self._entries[(group, key)] = (stamp[1], value)

    def drop(self, groups: Iterable[str]) -> None:
        with self._lock:
            for group in groups:
                self._generations[group] = self._generations.get(group, 0) + 1

    def set_live(self, live: bool) -> None:
        with self._lock:
            self._entries.clear()
            self._epoch += 1
            self._live = live


class RedisCache(ReadCache):
    """Entries `<prefix>e:<group>:<key>` = `<generation>|<json>` with a TTL; generations `<prefix>g:<group>`
    without one (run Redis with a volatile-* eviction policy so only entries are evicted). A Redis hit is one
    MGET; a repeated read is served from this process's `NearCache` without a round trip. Invalidating bumps
    the generations and announces the groups on `<prefix>invalidations` (pub/sub) in the same pipeline; every
    process's listener thread drops its copies of those groups (measured delay: docs/performance.md).
    When Redis does not answer, reads go to the database (and count as errors).

    Written by hand rather than with redis-py's client-side caching (RESP3 tracking), which needs Redis 7.4
    and this platform supports the Redis 7.0 of Debian 12."""

    name = "redis"
    LISTENER_RETRY_S = 1.0

    def __init__(self, url: str, *, namespace: str, ttl_seconds: float = 60.0, near_entries: int = 10_000,
                 near_ttl_seconds: float = 5.0) -> None:
        import redis

        self._redis = redis
        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.prefix = f"mestocker:cache:{namespace}:"
        self.channel = f"{self.prefix}invalidations"
        self.ttl_ms = max(1, int(ttl_seconds * 1000))
        self._adapters: dict[Any, TypeAdapter[Any]] = {}
        self.stats = CacheStats()
        self.near = NearCache(max_entries=near_entries, ttl_seconds=near_ttl_seconds)
        self._url = url
        self._stop = threading.Event()
        self._listener = threading.Thread(target=self._listen, name="cache-invalidations", daemon=True)
        self._listener.start()

    def _adapter(self, kind: Any) -> TypeAdapter[Any]:
        adapter = self._adapters.get(kind)
        if adapter is None:
            adapter = self._adapters[kind] = TypeAdapter(kind)
        return adapter

    def _listen(self) -> None:
        """Follow the invalidation channel; near copies are served only while subscribed."""
        # Its own client: a PING every few seconds notices a dead connection that sent no RST.
        client = self._redis.Redis.from_url(self._url, socket_connect_timeout=0.5, health_check_interval=2)
        while not self._stop.is_set():
            pubsub = client.pubsub()
            try:
                pubsub.subscribe(self.channel)
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=0.5)
                    if message is None:
                        continue
                    if message["type"] == "subscribe":
                        self.near.set_live(True)  # from here on no announcement can be missed
                    elif message["type"] == "message":
                        self.near.drop(message["data"].decode().split("\n"))
            except Exception:  # Redis gone or restarting: serve no copy, retry
                self.near.set_live(False)
                self._stop.wait(self.LISTENER_RETRY_S)
            finally:
                self.near.set_live(False)
                with contextlib.suppress(Exception):
                    pubsub.close()
        client.close()

    def peek(self, group: str, key: str) -> Any:
        value = self.near.get(group, key)
        if value is not MISS:
            self.stats.hits += 1
        return value

    def get_or_load(self, group: str, key: str, kind: Any, load: Callable[[], T | None]) -> T | None:
        value = self.peek(group, key)
        if value is not MISS:
            return value  # type: ignore[no-any-return]
        stamp = self.near.stamp(group)
        entry_key = f"{self.prefix}e:{group}:{key}"
        try:
            found: list[bytes | None] = self.client.mget(f"{self.prefix}g:{group}", entry_key)  # type: ignore[assignment]
        except self._redis.RedisError:
            self.stats.errors += 1
            return load()
        generation, entry = found[0] or b"0", found[1]
        if entry is not None:
            stored, _, body = entry.partition(b"|")
            if stored == generation:
                self.stats.hits += 1
                value = self._adapter(kind).validate_json(body)
                self.near.keep(group, key, stamp, value)
                return value  # type: ignore[no-any-return]
        self.stats.misses += 1
        value = load()
        if value is not None:
            try:
                self.client.set(entry_key, generation + b"|" + self._adapter(kind).dump_json(value), px=self.ttl_ms)
                self.near.keep(group, key, stamp, value)
            except self._redis.RedisError:
                self.stats.errors += 1
        return value

    def invalidate(self, groups: Iterable[str]) -> None:
        """Bump each group's generation and announce it; raises when Redis does not answer (the consumer then
        retries). This process's own copies go first, whatever Redis says: a client reads its own write."""
        names = sorted(set(groups))
        if not names:
            return
        self.near.drop(names)
        pipe = self.client.pipeline(transaction=False)
        for group in names:
            pipe.incr(f"{self.prefix}g:{group}")
        pipe.publish(self.channel, "\n".join(names))
        pipe.execute()
        self.stats.invalidations += len(names)

    def close(self) -> None:
        self._stop.set()
        self._listener.join(timeout=2)
        self.client.close()


def cache_namespace(database_url: str) -> str:
    """Entries of different databases never mix, even in one Redis (tests, staging beside production)."""
    return hashlib.sha256(database_url.encode()).hexdigest()[:12]


class CacheInvalidator:
    """The event-stream consumer of the cache: each delivered event invalidates the groups it changes.

    Idempotent by nature (an invalidation twice is one invalidation), so it keeps no processed-message
    rows; when the cache does not answer it raises and the broker redelivers."""

    name = "cache-invalidation"

    def __init__(self, cache: ReadCache) -> None:
        self.cache = cache

    def __call__(self, envelope: EventEnvelope) -> None:
        if envelope.name in INVALIDATING_EVENTS:
            groups = invalidated_groups(envelope.name, envelope.payload)
            if groups:
                self.cache.invalidate(groups)


def invalidate_on_commit(session_factory: sessionmaker[Session], cache: ReadCache) -> None:
    """After each commit of `session_factory`'s sessions, invalidate what the outbox rows it wrote change."""

    def collect(session: Session, _flush_context: Any) -> None:
        for obj in session.new:
            if isinstance(obj, OutboxMessage) and obj.name in INVALIDATING_EVENTS:
                session.info.setdefault(_PENDING, set()).update(invalidated_groups(obj.name, obj.payload))

    def apply(session: Session) -> None:
        groups = session.info.pop(_PENDING, None) or set()
        for envelope in session.info.pop(OUTBOX_WRITTEN, ()):  # rows written by commerce.shared.outbox.write_outbox
            if envelope.name in INVALIDATING_EVENTS:
                groups.update(invalidated_groups(envelope.name, envelope.payload))
        if not groups:
            return
        try:
            cache.invalidate(groups)
        except Exception:  # the relay's delivery invalidates again
            log.warning("cache invalidation after commit failed; the event stream will retry", exc_info=True)

    def forget(session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None:  # a new top-level transaction: a rolled-back one's groups are void
            session.info.pop(_PENDING, None)
            session.info.pop(OUTBOX_WRITTEN, None)

    event.listen(session_factory, "after_flush", collect)
    event.listen(session_factory, "after_commit", apply)
    event.listen(session_factory, "after_transaction_create", forget)
