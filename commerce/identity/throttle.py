"""Login throttling: failed logins counted per account and per client IP, with growing lockouts.

Each key has several moving windows (by default 5 a minute, 10 an hour, 20 a day per account):
when one is full the login is refused until its oldest failure leaves it, so the wait grows from
about a minute to an hour to a day as failures pile up. Only failures count, and a successful
login clears the account's windows (not the IP's: one good password must not unlock a spray
from the same address). Unknown emails are counted exactly like known ones, so the refusal
reveals nothing about which accounts exist; accounts are keyed by a digest of the email, so
the limiter's storage (Redis in production) holds no addresses.

The counters live in the limiter's storage, not in the database: they are abuse bookkeeping,
not domain state, and a check must not take the single SQLite writer lock.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Sequence

from limits import RateLimitItem
from limits.strategies import RateLimiter

LOCKED_OUT = "Demasiados intentos fallidos de inicio de sesión. Espera {seconds} s y vuelve a intentarlo."


def _account_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


class LoginThrottle:
    """Counts failed logins; says how long a caller must wait before the next attempt."""

    def __init__(self, limiter: RateLimiter, *, per_account: Sequence[RateLimitItem],
                 per_ip: Sequence[RateLimitItem]) -> None:
        self._limiter = limiter
        self._per_account = tuple(per_account)
        self._per_ip = tuple(per_ip)

    def _keys(self, email: str, ip: str) -> list[tuple[RateLimitItem, str, str]]:
        account = [(item, "login-account", _account_key(email)) for item in self._per_account]
        return account + [(item, "login-ip", ip) for item in self._per_ip]

    def retry_after(self, *, email: str, ip: str) -> int | None:
        """Seconds to wait when a window is full (checked before the password), else None."""
        waits = [
            self._limiter.get_window_stats(item, scope, key).reset_time - time.time()
            for item, scope, key in self._keys(email, ip)
            if not self._limiter.test(item, scope, key)
        ]
        return max(1, math.ceil(max(waits))) if waits else None

    def failed(self, *, email: str, ip: str) -> None:
        """Count one failed attempt against the account and the IP."""
        for item, scope, key in self._keys(email, ip):
            self._limiter.hit(item, scope, key)

    def succeeded(self, *, email: str) -> None:
        """Forget the account's failures after a successful login."""
        for item in self._per_account:
            self._limiter.clear(item, "login-account", _account_key(email))
