"""Per-model circuit breaker: stop calling a model that keeps failing, probe it again later.

closed → (``failure_threshold`` consecutive failures) → open → (``open_seconds`` later) →
half-open: one probe call is let through; success closes the breaker, failure re-opens it.
Only outages are failures (`is_outage`): a provider that refuses one request (400, 401, 404…)
is up, and opening its circuit would cut every other request off too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import StrEnum

import anthropic
import httpx
import openai

# Transport failures: no answer at all. The SDKs' APITimeoutError subclasses APIConnectionError.
_UNREACHABLE = (
    openai.APIConnectionError,
    anthropic.APIConnectionError,
    httpx.TransportError,  # httpx.TimeoutException, ConnectError, ReadError…
    TimeoutError,
    ConnectionError,
)
# Answers that say "not now" rather than "wrong request": timeouts and rate limits.
_RETRYABLE_4XX = frozenset({408, 429})


def is_outage(exc: BaseException) -> bool:
    """True for a timeout, a connection error, a 429 or a 5xx: what a circuit breaker counts.

    openai/anthropic `RateLimitError` (429), `InternalServerError` and any `APIStatusError` with
    `status_code >= 500` (anthropic's 529 `OverloadedError` too) count; other 4xx do not.
    """
    if isinstance(exc, _UNREACHABLE):
        return True
    if isinstance(exc, openai.APIStatusError | anthropic.APIStatusError):
        status: int = exc.status_code
    elif isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
    else:
        return False
    return status in _RETRYABLE_4XX or status >= 500


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(
        self,
        *,
        failure_threshold: int = 3,
        open_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1 or open_seconds < 0:
            raise ValueError("failure_threshold must be >= 1 and open_seconds >= 0")
        self.failure_threshold = failure_threshold
        self.open_seconds = open_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._probe_in_flight = False

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return self._state()

    def _state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - self._opened_at >= self.open_seconds:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def allow(self) -> bool:
        """May a call go through now? In half-open state only one probe at a time is allowed."""
        with self._lock:
            state = self._state()
            if state is BreakerState.CLOSED:
                return True
            if state is BreakerState.HALF_OPEN and not self._probe_in_flight:
                self._probe_in_flight = True
                return True
            return False

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._probe_in_flight = False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._probe_in_flight or self._failures >= self.failure_threshold:
                self._opened_at = self._clock()
            self._probe_in_flight = False
