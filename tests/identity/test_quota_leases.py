"""The API edge's quota counts a busy caller in leases (commerce/identity/quotas.py): fewer round trips to the
shared counters, never a call beyond the limit, and a caller at a normal pace counted one call at a time."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from limits import parse_many
from limits.aio.storage import MemoryStorage as AsyncMemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter as AsyncMovingWindow
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from commerce.identity import quotas
from commerce.identity.quotas import Quota


class CountingLimiter(AsyncMovingWindow):
    def __init__(self) -> None:
        super().__init__(AsyncMemoryStorage())
        self.round_trips = 0
        self.counted = 0

    async def hit(self, item: Any, *identifiers: str, cost: int = 1) -> bool:
        self.round_trips += 1
        granted = await super().hit(item, *identifiers, cost=cost)
        self.counted += cost if granted else 0
        return granted


def quota(limits: str) -> tuple[Quota, CountingLimiter]:
    limiter = CountingLimiter()
    return Quota(MovingWindowRateLimiter(MemoryStorage()), "api", parse_many(limits), async_limiter=lambda: limiter), \
        limiter


def run(coro: Any) -> Any:
    return asyncio.run(coro)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(quotas.time, "monotonic", lambda: now[0])
    return now


def test_a_busy_caller_costs_far_fewer_round_trips_than_calls(clock: list[float]) -> None:
    api, limiter = quota("100000/minute")

    async def calls() -> list[int | None]:
        waits = []
        for _ in range(400):
            waits.append(await api.hit_async("user:6"))
            clock[0] += 0.01  # a hundred calls a second, for four seconds
        return waits

    assert all(wait is None for wait in run(calls()))
    assert limiter.round_trips < 400 / 2  # the first second one by one, then leases of 16
    assert 400 <= limiter.counted <= 400 + quotas.LEASE_MAX_CALLS  # counted ahead, never behind


def test_a_caller_who_slows_down_is_overcounted_by_one_lease_at_most(clock: list[float]) -> None:
    api, limiter = quota("100000/minute")

    async def calls() -> None:
        for step in [0.01] * 300 + [1.5] * 10:
            assert await api.hit_async("user:6") is None
            clock[0] += step

    run(calls())
    assert 310 <= limiter.counted <= 310 + quotas.LEASE_MAX_CALLS


def test_a_caller_at_a_normal_pace_is_counted_call_by_call(clock: list[float]) -> None:
    api, limiter = quota("100000/minute")

    async def calls() -> None:
        for _ in range(20):
            assert await api.hit_async("user:6") is None
            clock[0] += 1.2  # one call in each second

    run(calls())
    assert limiter.round_trips == 20 and limiter.counted == 20


def test_leases_never_let_a_call_through_beyond_the_limit(clock: list[float]) -> None:
    api, limiter = quota("400/minute")

    async def calls() -> list[int | None]:
        waits = []
        for _ in range(600):
            waits.append(await api.hit_async("user:6"))
            clock[0] += 0.01  # leases from the second second on
        return waits

    waits = run(calls())
    allowed = sum(1 for wait in waits if wait is None)
    assert limiter.round_trips < 600  # leases were taken
    assert 400 - quotas.LEASE_MAX_CALLS <= allowed <= 400
    assert all(wait is None or wait >= 1 for wait in waits)  # a refusal says how long to wait
    assert waits[-1] is not None


def test_a_small_limit_is_counted_exactly() -> None:
    api, limiter = quota("30/minute")

    async def calls() -> list[int | None]:
        return [await api.hit_async("user:6") for _ in range(31)]

    waits = run(calls())
    assert waits[:30] == [None] * 30 and waits[30] is not None
    assert limiter.counted == 30


def test_clearing_a_caller_drops_its_lease() -> None:
    api, _ = quota("100000/minute")

    async def calls() -> None:
        for _ in range(50):
            await api.hit_async("user:6")

    run(calls())
    api.clear("user:6")
    assert api._lease_of("user:6").left == 0  # type: ignore[attr-defined]
