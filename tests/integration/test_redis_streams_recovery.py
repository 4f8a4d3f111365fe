"""The Redis Streams subscriber after the faults bench/bench_resilience.py injects (real Redis, no database).

Found by the resilience run: a worker started while Redis was down lost its relay and consumer thread for
good (the group was created in the subscriber's constructor); a message whose handler failed stayed pending
until the next restart; a Redis back without its data answered NOGROUP forever."""

from __future__ import annotations

import signal
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import redis

from commerce.shared.events import EventEnvelope
from infra.bus.redis_streams import RedisStreamsPublisher, RedisStreamsSubscriber
from tests.services import RedisServer, ServiceUnavailable, run_restartable_redis, services_required

pytestmark = pytest.mark.redis


@pytest.fixture
def server() -> Iterator[RedisServer]:
    try:
        with run_restartable_redis(appendonly=True) as running:
            yield running
    except ServiceUnavailable as exc:
        if services_required():
            pytest.fail(str(exc))
        pytest.skip(str(exc))


def envelope(n: int) -> EventEnvelope:
    return EventEnvelope(id=f"evt-{n}-{uuid.uuid4().hex[:6]}", name="stock.updated", version=1,
                         occurred_at=datetime.now(UTC), key="CAF-001", payload={"n": n})


def poll_until(subscriber: RedisStreamsSubscriber, seen: list[EventEnvelope], count: int, polls: int = 20) -> int:
    """Poll like the worker loop does (a failed poll is logged and retried); return the failed polls."""
    failures = 0
    for _ in range(polls):
        if len(seen) >= count:
            break
        try:
            subscriber.poll(seen.append, timeout=0.1)
        except redis.RedisError:
            failures += 1
    return failures


def test_a_subscriber_made_while_redis_is_down_consumes_once_it_is_back(server: RedisServer) -> None:
    stream = f"test:{uuid.uuid4().hex[:8]}"
    server.kill(signal.SIGKILL)
    subscriber = RedisStreamsSubscriber(server.url, stream, group="g", consumer="c1")  # must not raise
    seen: list[EventEnvelope] = []
    with pytest.raises(redis.ConnectionError):
        subscriber.poll(seen.append, timeout=0.1)
    server.start()
    publisher = RedisStreamsPublisher(server.url, stream)
    try:
        sent = [envelope(1), envelope(2)]
        publisher.publish(sent)
        poll_until(subscriber, seen, 2)
        assert [e.id for e in seen] == [e.id for e in sent]
    finally:
        publisher.close()
        subscriber.close()


def test_a_message_whose_handler_failed_is_delivered_again_without_a_restart(server: RedisServer) -> None:
    stream = f"test:{uuid.uuid4().hex[:8]}"
    publisher = RedisStreamsPublisher(server.url, stream)
    subscriber = RedisStreamsSubscriber(server.url, stream, group="g", consumer="c1")
    first, second = envelope(1), envelope(2)
    handled: list[str] = []
    failed_once: list[str] = []

    def handler(message: EventEnvelope) -> None:
        if message.id == first.id and not failed_once:
            failed_once.append(message.id)
            raise RuntimeError("the database blinked")
        handled.append(message.id)

    try:
        assert subscriber.poll(handler, timeout=0.1) == 0  # the group exists before anything is published
        publisher.publish([first, second])
        with pytest.raises(RuntimeError):
            subscriber.poll(handler, timeout=0.1)
        for _ in range(5):
            subscriber.poll(handler, timeout=0.1)
        assert handled == [first.id, second.id]
        client = redis.Redis.from_url(server.url)
        assert client.xpending(stream, "g")["pending"] == 0
        client.close()
    finally:
        publisher.close()
        subscriber.close()


def test_a_group_lost_with_the_redis_data_is_created_again(server: RedisServer) -> None:
    stream = f"test:{uuid.uuid4().hex[:8]}"
    publisher = RedisStreamsPublisher(server.url, stream)
    subscriber = RedisStreamsSubscriber(server.url, stream, group="g", consumer="c1")
    seen: list[EventEnvelope] = []
    try:
        publisher.publish([envelope(1)])
        poll_until(subscriber, seen, 1)
        client = redis.Redis.from_url(server.url)
        client.flushall()  # a Redis back without its data: no stream, no group
        client.close()
        later = envelope(2)
        publisher.publish([later])  # the relay republishes from the outbox into a new stream
        failures = poll_until(subscriber, seen, 2)
        assert [e.id for e in seen][1:] == [later.id]
        assert failures <= 1  # one NOGROUP, then the group is created again
    finally:
        publisher.close()
        subscriber.close()
