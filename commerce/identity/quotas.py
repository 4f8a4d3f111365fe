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


def digest(value: str) -> str:
    """A key for values the storage must not hold in clear (phone numbers)."""
    return hashlib.sha256(value.encode()).hexdigest()


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

    @property
    def enabled(self) -> bool:
        return bool(self.items)

    async def hit_async(self, key: str) -> int | None:
        """`hit` with the quota's asyncio limiter (a shared storage's round trip without blocking the event
        loop); None from `async_limiter` (no asyncio client for this storage) means the caller uses `hit`."""
        if self.async_limiter is None:
            raise RuntimeError("this quota has no asyncio limiter")
        limiter = self.async_limiter()
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
