"""Request quotas: how many calls a key (a principal, an IP, a phone number) may make per window.

Unlike the login throttle, which counts failures only, a quota counts every call. Each key has
one or more moving windows (e.g. 120 a minute and 3000 an hour); a call is refused while any of
them is full, with the seconds until the full window frees a slot. The counters live in the
`limits` storage (memory in one process, Redis shared between processes), never in the database.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from limits import RateLimitItem
from limits.aio.strategies import RateLimiter as AsyncRateLimiter
from limits.strategies import RateLimiter

TOO_FAST = "Demasiadas solicitudes: espera {seconds} s y vuelve a intentarlo."
CHAT_TOO_FAST = ("Estás enviando mensajes al asistente muy rápido: espera {seconds} s y vuelve a escribir. "
                 "Cada respuesta consulta a los modelos de lenguaje, por eso hay un límite por persona.")
WHATSAPP_TOO_FAST = ("Estás escribiendo muy rápido y no alcanzo a responderte todo. Espera un momento "
                     "(unos {seconds} s) y vuelve a escribirme; los mensajes de mientras no los voy a procesar.")


# The API's edge counts a busy caller's calls in leases: one round trip to the shared counters (Redis) takes
# a few calls at once for this process. A lease is no bigger than the calls the caller made here in the last
# second, a twentieth of the shortest window's limit and 16 calls; it is used within one second or dropped
# (its calls stay counted: a caller who slows down can be refused early by at most one lease per API process,
# never let through beyond the limit). A limit under 40 calls, or a caller who made at most one call here in
# the previous second, is counted one call at a time, exactly as before.
LEASE_MAX_CALLS = 16
LEASE_SHARE = 20
LEASE_SECONDS = 1.0
LEASE_KEYS = 10_000  # at this many callers tracked, every lease is dropped (those callers count one by one again)


def digest(value: str) -> str:
    """A key for values the storage must not hold in clear (phone numbers)."""
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass
class _Lease:
    """This process's share of a caller's quota, taken ahead, and how busy the caller has been here."""

    left: int = 0
    until: float = 0.0
    recent_calls: int = 0  # calls in the previous LEASE_SECONDS interval: a lease is never bigger
    _interval_start: float = 0.0
    _interval_calls: int = 0

    def count_call(self, now: float) -> None:
        if now - self._interval_start >= LEASE_SECONDS:
            self.recent_calls = self._interval_calls if now - self._interval_start < 2 * LEASE_SECONDS else 0
            self._interval_start, self._interval_calls = now, 0
        self._interval_calls += 1


@dataclass(frozen=True)
class Quota:
    """Calls allowed per key in every window of `items`; `scope` keeps quotas apart in one storage."""

    limiter: RateLimiter
    scope: str
    items: Sequence[RateLimitItem]
    # The same counters through an asyncio client, for callers on an event loop (the API's edge): a factory,
    # since an asyncio client belongs to the loop it was first used on.
    async_limiter: Callable[[], AsyncRateLimiter] | None = None

    def __post_init__(self) -> None:
        # Shortest window first: a call refused by the minute window does not spend the day's budget.
        object.__setattr__(self, "items", tuple(sorted(self.items, key=lambda item: item.get_expiry())))
        object.__setattr__(self, "_leases", {})

    def _lease_of(self, key: str) -> _Lease:
        leases: dict[str, _Lease] = self._leases  # type: ignore[attr-defined]
        lease = leases.get(key)
        if lease is None:
            if len(leases) >= LEASE_KEYS:
                leases.clear()  # unused leases only make a caller count one by one again
            lease = leases[key] = _Lease()
        return lease

    def lease_size(self) -> int:
        """How many calls `hit_async` takes from the shared counters at once (1 for small limits: exact)."""
        return max(1, min(LEASE_MAX_CALLS, self.items[0].amount // LEASE_SHARE)) if self.items else 1

    @property
    def enabled(self) -> bool:
        return bool(self.items)

    async def hit_async(self, key: str) -> int | None:
        """`hit` with the quota's asyncio limiter (a shared storage's round trip without blocking the event
        loop); None from `async_limiter` (no asyncio client for this storage) means the caller uses `hit`."""
        if self.async_limiter is None:
            raise RuntimeError("this quota has no asyncio limiter")
        lease = self._lease_of(key)
        now = time.monotonic()
        lease.count_call(now)
        if lease.left > 0 and now < lease.until:
            lease.left -= 1
            return None
        limiter = self.async_limiter()
        size = min(self.lease_size(), lease.recent_calls)
        if size > 1:
            # `size` calls counted now: this one and the next size - 1 of this process within LEASE_SECONDS, one
            # round trip for them all. The calls are counted before they are made (at most LEASE_SECONDS early),
            # so the limit is never exceeded; a refused lease falls back to counting this call alone.
            granted = True
            for item in self.items:
                if not await limiter.hit(item, self.scope, key, cost=size):
                    granted = False
                    break
            if granted:
                lease.left, lease.until = size - 1, now + LEASE_SECONDS
                return None
        for item in self.items:
            if not await limiter.hit(item, self.scope, key):
                reset = (await limiter.get_window_stats(item, self.scope, key)).reset_time
                return max(1, math.ceil(reset - time.time()))
        return None

    def hit(self, key: str) -> int | None:
        """Count one call for `key`: None when allowed, else the seconds to wait (the call is not counted)."""
        for item in self.items:
            if not self.limiter.hit(item, self.scope, key):
                reset = self.limiter.get_window_stats(item, self.scope, key).reset_time
                return max(1, math.ceil(reset - time.time()))
        return None

    def clear(self, key: str) -> None:
        """Forget every window of `key`."""
        self._leases.pop(key, None)  # type: ignore[attr-defined]
        for item in self.items:
            self.limiter.clear(item, self.scope, key)


def admit_whatsapp_sender(quotas: RequestQuotas, wa_id: str) -> tuple[bool, str | None]:
    """Count one message from `wa_id`: (True, None) to process it, else (False, the notice to send or None).

    Over the quota a message is never processed; the sender is told once per notice window and
    the messages in between are dropped, so a flood does not turn into a flood of replies."""
    key = digest(wa_id)
    wait = quotas.whatsapp.hit(key) if quotas.whatsapp.enabled else None
    if wait is None:
        return True, None
    if quotas.whatsapp_notice.hit(key) is None:
        return False, WHATSAPP_TOO_FAST.format(seconds=wait)
    return False, None


@dataclass(frozen=True)
class RequestQuotas:
    """The quotas the API applies: per principal, per anonymous IP, per chat user, per WhatsApp number."""

    api: Quota
    anonymous: Quota
    chat: Quota
    whatsapp: Quota
    # How often a sender over the WhatsApp quota is told so; the rest of their messages are dropped.
    whatsapp_notice: Quota
    # True when the counters live in another process (Redis): a hit is then a network round trip.
    shared: bool = False
