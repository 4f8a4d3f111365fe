"""Circuit breaker with an injected clock."""

from __future__ import annotations

import anthropic
import httpx
import openai
import pytest

from router.breaker import BreakerState, CircuitBreaker, is_outage
from tests.router.conftest import FakeClock


def test_opens_after_threshold_and_probes_after_interval(clock: FakeClock) -> None:
    breaker = CircuitBreaker(failure_threshold=3, open_seconds=30, clock=clock)
    for _ in range(2):
        assert breaker.allow()
        breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN and not breaker.allow()
    clock.advance(29.9)
    assert not breaker.allow()
    clock.advance(0.2)
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow()  # the probe
    assert not breaker.allow()  # only one probe at a time
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED and breaker.allow()


def test_failed_probe_reopens_for_a_full_interval(clock: FakeClock) -> None:
    breaker = CircuitBreaker(failure_threshold=1, open_seconds=10, clock=clock)
    breaker.record_failure()
    clock.advance(10)
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    clock.advance(9)
    assert not breaker.allow()
    clock.advance(1)
    assert breaker.allow()


def test_success_resets_the_failure_count(clock: FakeClock) -> None:
    breaker = CircuitBreaker(failure_threshold=2, open_seconds=10, clock=clock)
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED


def test_rejects_bad_settings() -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(failure_threshold=0)


def _response(status: int) -> httpx.Response:
    return httpx.Response(status, request=httpx.Request("POST", "http://127.0.0.1/v1/chat/completions"))


_REQUEST = httpx.Request("POST", "http://127.0.0.1/v1/messages")


@pytest.mark.parametrize(
    "exc",
    [
        openai.APITimeoutError(request=_REQUEST),
        openai.APIConnectionError(request=_REQUEST),
        anthropic.APITimeoutError(request=_REQUEST),
        anthropic.APIConnectionError(request=_REQUEST),
        openai.RateLimitError("slow down", response=_response(429), body=None),
        anthropic.RateLimitError("slow down", response=_response(429), body=None),
        openai.InternalServerError("boom", response=_response(500), body=None),
        anthropic.InternalServerError("boom", response=_response(502), body=None),
        openai.APIStatusError("unavailable", response=_response(503), body=None),
        anthropic.APIStatusError("overloaded", response=_response(529), body=None),
        httpx.ReadTimeout("slow", request=_REQUEST),
        httpx.ConnectError("refused", request=_REQUEST),
        httpx.HTTPStatusError("bad gateway", request=_REQUEST, response=_response(502)),
        TimeoutError(),
        ConnectionRefusedError(),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_outages_count(exc: Exception) -> None:
    assert is_outage(exc)


@pytest.mark.parametrize(
    "exc",
    [
        openai.BadRequestError("bad", response=_response(400), body=None),
        openai.AuthenticationError("key", response=_response(401), body=None),
        openai.NotFoundError("model", response=_response(404), body=None),
        anthropic.BadRequestError("bad", response=_response(400), body=None),
        anthropic.PermissionDeniedError("no", response=_response(403), body=None),
        openai.APIStatusError("unprocessable", response=_response(422), body=None),
        httpx.HTTPStatusError("bad", request=_REQUEST, response=_response(400)),
        ValueError("a parsing bug is ours, not the provider's outage"),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_refused_requests_do_not_count(exc: Exception) -> None:
    assert not is_outage(exc)
