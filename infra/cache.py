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

import hashlib
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from cachetools import TTLCache
from pydantic import TypeAdapter
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from commerce.shared.cache import INVALIDATING_EVENTS, ReadCache, invalidated_groups
from commerce.shared.events import EventEnvelope
from commerce.shared.outbox import OutboxMessage

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

    def invalidate(self, groups: Iterable[str]) -> None:
        with self._lock:
            for group in groups:
                self._generations[group] = self._generations.get(group, 0) + 1
                self.stats.invalidations += 1


class RedisCache(ReadCache):
    """Entries `<prefix>e:<group>:<key>` = `<generation>|<json>` with a TTL; generations `<prefix>g:<group>`
    without one (run Redis with a volatile-* eviction policy so only entries are evicted). A hit is one MGET.
    When Redis does not answer, reads go to the database (and count as errors)."""

    name = "redis"

    def __init__(self, url: str, *, namespace: str, ttl_seconds: float = 60.0) -> None:
        import redis

        self._redis = redis
        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.prefix = f"mestocker:cache:{namespace}:"
        self.ttl_ms = max(1, int(ttl_seconds * 1000))
        self._adapters: dict[Any, TypeAdapter[Any]] = {}
        self.stats = CacheStats()

    def _adapter(self, kind: Any) -> TypeAdapter[Any]:
        adapter = self._adapters.get(kind)
        if adapter is None:
            adapter = self._adapters[kind] = TypeAdapter(kind)
        return adapter

    def get_or_load(self, group: str, key: str, kind: Any, load: Callable[[], T | None]) -> T | None:
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
                return self._adapter(kind).validate_json(body)  # type: ignore[no-any-return]
        self.stats.misses += 1
        value = load()
        if value is not None:
            try:
                self.client.set(entry_key, generation + b"|" + self._adapter(kind).dump_json(value), px=self.ttl_ms)
            except self._redis.RedisError:
                self.stats.errors += 1
        return value

    def invalidate(self, groups: Iterable[str]) -> None:
        """Bump each group's generation; raises when Redis does not answer (the consumer then retries)."""
        names = sorted(set(groups))
        if not names:
            return
        pipe = self.client.pipeline(transaction=False)
        for group in names:
            pipe.incr(f"{self.prefix}g:{group}")
        pipe.execute()
        self.stats.invalidations += len(names)

    def close(self) -> None:
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
        groups = session.info.pop(_PENDING, None)
        if not groups:
            return
        try:
            cache.invalidate(groups)
        except Exception:  # the relay's delivery invalidates again
            log.warning("cache invalidation after commit failed; the event stream will retry", exc_info=True)

    def forget(session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None:  # a new top-level transaction: a rolled-back one's groups are void
            session.info.pop(_PENDING, None)

    event.listen(session_factory, "after_flush", collect)
    event.listen(session_factory, "after_commit", apply)
    event.listen(session_factory, "after_transaction_create", forget)
