"""At-least-once delivery through the outbox, exactly-once side effects at the consumer.

Each test writes 500 orders while the publisher fails, checks that nothing was lost or published,
recovers, and checks that every event reached the consumer's side effects once — then delivers
everything a second time and checks that nothing doubles.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from commerce.fulfillment import commands as fc
from commerce.marketplace import commands as mc
from commerce.notifications import BuyerNotification
from commerce.shared.clock import utcnow
from commerce.shared.events import EventEnvelope
from commerce.shared.outbox import OutboxMessage, ProcessedMessage
from infra.bootstrap import Platform, bootstrap
from infra.bus.base import InProcessPublisher, Publisher, PublishError, Subscriber
from infra.bus.relay import OutboxRelay
from infra.settings import Settings
from tests.integration.test_order_flow import LAURA

ORDERS = 500


class FlakyPublisher(Publisher):
    """Wraps a real publisher; raises PublishError while `down` (a broker outage)."""

    def __init__(self, inner: Publisher) -> None:
        self.inner, self.down, self.failures = inner, True, 0

    def publish(self, envelopes: Sequence[EventEnvelope]) -> None:
        if self.down:
            self.failures += 1
            raise PublishError("broker unreachable")
        self.inner.publish(envelopes)


def _write_orders(platform: Platform, count: int = ORDERS) -> list[str]:
    platform.bus.handle(fc.AdjustStock(sku="CAF-004", warehouse="BOG", delta=count, reason="reabastecer"))
    return [
        platform.bus.handle(mc.PlaceOrder(buyer_id="BUY-001", warehouse="BOG", actor=LAURA,
                                          lines=[mc.OrderLineIn(sku="CAF-004", quantity=1)]))
        for _ in range(count)
    ]


def _counts(platform: Platform) -> tuple[int, int, int]:
    with platform.read_uow() as uow:
        s = uow.session
        unpublished = s.scalar(select(func.count()).where(OutboxMessage.published_at.is_(None))) or 0
        notes = s.scalar(select(func.count()).select_from(BuyerNotification)
                         .where(BuyerNotification.event_name == "stock.reserved")) or 0
        distinct = s.scalar(select(func.count(func.distinct(BuyerNotification.order_id)))
                            .where(BuyerNotification.event_name == "stock.reserved")) or 0
        return unpublished, notes, distinct


def _republish_everything(platform: Platform) -> None:
    with platform.session_factory() as session:
        session.execute(update(OutboxMessage).values(published_at=None))
        session.commit()


def _outage_then_recovery(platform: Platform, flaky: FlakyPublisher, relay: OutboxRelay) -> int:
    """Write the orders while the broker is down; check nothing is lost or delivered; bring it back."""
    orders = _write_orders(platform)
    assert len(set(orders)) == ORDERS
    for _ in range(3):
        assert relay.relay_once() == 0
    waiting, notes, _ = _counts(platform)
    assert flaky.failures >= 3 and notes == 0
    assert waiting >= ORDERS * 2  # at least order.created + stock.reserved per order, all kept
    assert relay.last_error == "broker unreachable"
    with platform.read_uow() as uow:
        attempted = uow.session.scalar(select(func.max(OutboxMessage.attempts))
                                       .where(OutboxMessage.published_at.is_(None)))
    assert attempted and attempted >= 1, "failed publishes are counted on the waiting rows"
    flaky.down = False
    return waiting


def test_inprocess_bus_survives_an_outage(platform: Platform) -> None:
    inner = InProcessPublisher()
    inner.subscribe(platform.consumers)
    flaky = FlakyPublisher(inner)
    relay = OutboxRelay(platform.session_factory, flaky, read_session_factory=platform.read_session_factory)
    flaky.down = False
    relay.drain()
    flaky.down = True
    _outage_then_recovery(platform, flaky, relay)
    relay.drain()
    assert _counts(platform) == (0, ORDERS, ORDERS)
    _republish_everything(platform)
    relay.drain()
    assert _counts(platform) == (0, ORDERS, ORDERS), "a second delivery must not repeat side effects"


def _broker_platform(settings: Settings, publisher: Publisher) -> Platform:
    return bootstrap(settings, publisher=publisher)


def _consume_until(platform: Platform, subscriber: Subscriber, expected: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        subscriber.poll(platform.consumers, timeout=0.5, max_messages=500)
        if _counts(platform)[1] >= expected:
            # keep polling briefly: duplicates would show up now
            for _ in range(3):
                subscriber.poll(platform.consumers, timeout=0.3, max_messages=500)
            return
    pytest.fail(f"only {_counts(platform)[1]} of {expected} notifications arrived")


def _run_broker_scenario(platform: Platform, flaky: FlakyPublisher, subscriber: Subscriber) -> None:
    relay = OutboxRelay(platform.session_factory, flaky, read_session_factory=platform.read_session_factory)
    _outage_then_recovery(platform, flaky, relay)
    published = relay.drain()
    assert published >= ORDERS * 3
    _consume_until(platform, subscriber, ORDERS)
    assert _counts(platform) == (0, ORDERS, ORDERS)
    _republish_everything(platform)
    relay.drain()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and subscriber.poll(platform.consumers, timeout=0.5, max_messages=500):
        pass
    assert _counts(platform) == (0, ORDERS, ORDERS), "a second delivery must not repeat side effects"
    with platform.read_uow() as uow:
        processed = uow.session.scalar(select(func.count()).select_from(ProcessedMessage)) or 0
    assert processed >= ORDERS


@pytest.mark.redis
@pytest.mark.parametrize("database_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
def test_redis_streams_delivery_after_an_outage(settings: Settings, redis_url: str, tmp_path: Path) -> None:
    from infra.bus.redis_streams import RedisStreamsPublisher, RedisStreamsSubscriber

    stream = f"test:{uuid.uuid4().hex[:8]}"
    flaky = FlakyPublisher(RedisStreamsPublisher(redis_url, stream))
    platform = _broker_platform(settings, flaky)
    subscriber = RedisStreamsSubscriber(redis_url, stream, group="notifications", consumer="c1")
    try:
        _run_broker_scenario(platform, flaky, subscriber)
    finally:
        subscriber.close()
        platform.close()


def test_redis_publisher_reports_an_unreachable_server() -> None:
    from infra.bus.redis_streams import RedisStreamsPublisher
    from tests.services import free_port

    publisher = RedisStreamsPublisher(f"redis://127.0.0.1:{free_port()}/0", "x")
    assert not publisher.ping()
    with pytest.raises(PublishError):
        publisher.publish([OutboxMessage(event_id="e", name="n", version=1, key="k", occurred_at=time_now(),
                                         payload={}).envelope()])


def time_now() -> datetime:
    return utcnow()


@pytest.mark.kafka
@pytest.mark.parametrize("database_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
def test_kafka_delivery_after_an_outage(settings: Settings, kafka_bootstrap: str) -> None:
    from infra.bus.kafka import KafkaPublisher, KafkaSubscriber
    from tests.services import create_kafka_topic

    topic = f"events-{uuid.uuid4().hex[:8]}"
    create_kafka_topic(kafka_bootstrap, topic, partitions=3)
    flaky = FlakyPublisher(KafkaPublisher(kafka_bootstrap, topic))
    platform = _broker_platform(settings, flaky)
    subscriber = KafkaSubscriber(kafka_bootstrap, topic, group=f"g-{uuid.uuid4().hex[:6]}")
    try:
        _run_broker_scenario(platform, flaky, subscriber)
    finally:
        subscriber.close()
        platform.close()


def test_kafka_publisher_fails_fast_when_the_broker_is_down() -> None:
    from infra.bus.kafka import KafkaPublisher
    from tests.services import free_port

    publisher = KafkaPublisher(f"127.0.0.1:{free_port()}", "t", timeout=1.5)
    with pytest.raises(PublishError):
        publisher.publish([OutboxMessage(event_id="e", name="n", version=1, key="k", occurred_at=time_now(),
                                         payload={}).envelope()])
