"""The read cache port: hot views (stock of a SKU, the catalog listing, the caller's principal) served from a
cache, invalidated by the events that change them (docs/performance.md).

Every entry belongs to one *group*; invalidating a group makes every entry of it unreadable at once (the
adapters bump the group's generation rather than finding keys). A read that loaded from the database before
a commit and stores its value after that commit's invalidation stores it under the old generation, so it is
never served: the cache cannot keep a value older than the last invalidation.

Which events invalidate which groups is domain knowledge and lives here (`invalidated_groups`); the
adapters (in-process LRU, Redis) live in infra, bootstrap wires them.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

T = TypeVar("T")

CATALOG = "catalog"


class _Miss:
    def __repr__(self) -> str:
        return "MISS"


MISS: Any = _Miss()  # what `ReadCache.peek` answers when the value is not at hand


def stock_group(sku: str) -> str:
    """The group of a SKU's stock view (every warehouse)."""
    return f"stock:{sku.strip().upper()}"


def principal_group(user_id: int) -> str:
    """The group of a user's principal (role, scopes, seller/buyer links, active)."""
    return f"principal:{int(user_id)}"


class ReadCache(abc.ABC):
    """Read-through cache of immutable view values, invalidated by group."""

    name = "cache"

    @abc.abstractmethod
    def get_or_load(self, group: str, key: str, kind: Any, load: Callable[[], T | None]) -> T | None:
        """The cached value of `key` in `group`, or `load()`'s (stored unless it is None). `kind` is the value's
        type (a model, a dataclass, `list[Model]`): what a shared cache decodes its JSON into."""

    @abc.abstractmethod
    def invalidate(self, groups: Iterable[str]) -> None:
        """Make every entry of `groups` unreadable."""

    def peek(self, group: str, key: str) -> Any:
        """The value of `key` if this process already holds it, else `MISS`; never loads nor waits on the
        network, so an async route may call it on the event loop and fall back to `get_or_load` in a thread."""
        return MISS

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


class NoCache(ReadCache):
    """Always loads: what a process without a cache (or a test that wants none) uses."""

    name = "none"

    def get_or_load(self, group: str, key: str, kind: Any, load: Callable[[], T | None]) -> T | None:
        return load()

    def invalidate(self, groups: Iterable[str]) -> None:
        return None


def _skus(payload: Mapping[str, Any]) -> list[str]:
    found = [str(payload["sku"])] if payload.get("sku") else []
    found += [str(line["sku"]) for line in payload.get("lines") or [] if isinstance(line, Mapping)]
    return found


# The events that change what a cached view shows. Stock: every movement (a reservation changes `reserved`,
# a receipt or sale `on_hand`); the named events are listed too so a consumer that sees only them still
# invalidates. Catalog: a listing's price, name or description.
_STOCK_EVENTS = frozenset({"stock.updated", "stock.reserved", "stock.released", "movement.recorded"})
_CATALOG_EVENTS = frozenset({"product.updated"})
_PRINCIPAL_EVENTS = frozenset({"user.updated"})
INVALIDATING_EVENTS = _STOCK_EVENTS | _CATALOG_EVENTS | _PRINCIPAL_EVENTS


def invalidated_groups(event_name: str, payload: Mapping[str, Any]) -> set[str]:
    """The cache groups an event (by wire name and payload) makes stale."""
    if event_name in _STOCK_EVENTS:
        return {stock_group(sku) for sku in _skus(payload)}
    if event_name in _CATALOG_EVENTS:
        return {CATALOG, *(stock_group(sku) for sku in _skus(payload))}
    if event_name in _PRINCIPAL_EVENTS and payload.get("user_id") is not None:
        return {principal_group(int(payload["user_id"]))}
    return set()
