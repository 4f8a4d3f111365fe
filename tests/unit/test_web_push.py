"""Web push hubs: per-user fan-out, bounded queues, close semantics; Redis Streams for real."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from infra.channels.web_push import (
    STREAM_MAXLEN,
    InProcessWebPushHub,
    RedisWebPushHub,
    Subscription,
    WebPushHub,
    build_web_push_hub,
    stream_key,
)
from infra.settings import Settings

LAURA, ANDRES = 6, 7


def _drain(subscription: Subscription, count: int, timeout: float = 2.0) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []
    for _ in range(count):
        payload = subscription.get(timeout=timeout)
        assert payload is not None, f"got {len(received)} of {count}"
        received.append(payload)
    return received


# --------------------------------------------------------------------------------------------
# Semantics every hub shares, run against both implementations
# --------------------------------------------------------------------------------------------


@pytest.fixture
def redis_hub(redis_url: str) -> Iterator[RedisWebPushHub]:
    hub = RedisWebPushHub(redis_url)
    # The Redis server is shared by the session: remove only this hub's streams.
    for key in hub.client.scan_iter(match="mestocker:webpush:*"):
        hub.client.delete(key)
    yield hub
    hub.close()


@pytest.fixture(params=["in-process", pytest.param("redis", marks=pytest.mark.redis)])
def hub(request: pytest.FixtureRequest) -> WebPushHub:
    if request.param == "in-process":
        return InProcessWebPushHub()
    hub: WebPushHub = request.getfixturevalue("redis_hub")
    return hub


def test_a_subscriber_gets_its_users_payloads_in_order(hub: WebPushHub) -> None:
    with hub.subscribe(LAURA) as subscription:
        for n in range(3):
            hub.publish(LAURA, {"text": f"aviso {n}"})
        assert _drain(subscription, 3) == [{"text": "aviso 0"}, {"text": "aviso 1"}, {"text": "aviso 2"}]


def test_payloads_of_another_user_are_not_delivered(hub: WebPushHub) -> None:
    with hub.subscribe(LAURA) as laura, hub.subscribe(ANDRES) as andres:
        hub.publish(ANDRES, {"text": "para Andrés"})
        assert laura.get(timeout=0.2) is None
        assert andres.get(timeout=2) == {"text": "para Andrés"}


def test_only_what_is_published_after_subscribing_is_delivered(hub: WebPushHub) -> None:
    hub.publish(LAURA, {"text": "antes"})
    with hub.subscribe(LAURA) as subscription:
        hub.publish(LAURA, {"text": "después"})  # before the first get(): must not be missed
        assert subscription.get(timeout=2) == {"text": "después"}
        assert subscription.get(timeout=0.1) is None


def test_every_open_page_of_a_user_receives(hub: WebPushHub) -> None:
    with hub.subscribe(LAURA) as tab1, hub.subscribe(LAURA) as tab2:
        hub.publish(LAURA, {"text": "Tu pedido ORD-1001 fue enviado."})
        assert tab1.get(timeout=2) == tab2.get(timeout=2) == {"text": "Tu pedido ORD-1001 fue enviado."}


def test_get_times_out_with_none(hub: WebPushHub) -> None:
    with hub.subscribe(LAURA) as subscription:
        started = time.monotonic()
        assert subscription.get(timeout=0.3) is None
        assert 0.25 <= time.monotonic() - started < 2


def test_close_wakes_a_blocked_reader_and_stops_delivery(hub: WebPushHub) -> None:
    subscription = hub.subscribe(LAURA)
    results: list[object] = []
    reader = threading.Thread(target=lambda: results.append(subscription.get(timeout=None)))
    reader.start()
    time.sleep(0.1)
    subscription.close()
    reader.join(timeout=3)
    assert not reader.is_alive()
    assert results == [None]
    hub.publish(LAURA, {"text": "tarde"})
    assert subscription.get(timeout=0.1) is None
    assert subscription.closed
    subscription.close()  # idempotent


def test_iterating_yields_payloads_until_closed(hub: WebPushHub) -> None:
    subscription = hub.subscribe(LAURA)
    seen: list[dict[str, Any]] = []

    def consume() -> None:
        for payload in subscription:
            seen.append(payload)
            if len(seen) == 2:
                subscription.close()

    consumer = threading.Thread(target=consume)
    consumer.start()
    hub.publish(LAURA, {"n": 1})
    hub.publish(LAURA, {"n": 2})
    consumer.join(timeout=5)
    assert not consumer.is_alive()
    assert seen == [{"n": 1}, {"n": 2}]


def test_concurrent_publishers_lose_nothing(hub: WebPushHub) -> None:
    with hub.subscribe(LAURA) as subscription:
        def publish(worker: int) -> None:
            for n in range(20):
                hub.publish(LAURA, {"worker": worker, "n": n})

        workers = [threading.Thread(target=publish, args=(w,)) for w in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        received = _drain(subscription, 80)
    assert sorted((p["worker"], p["n"]) for p in received) == [(w, n) for w in range(4) for n in range(20)]
    for w in range(4):  # each publisher's order is kept
        assert [p["n"] for p in received if p["worker"] == w] == list(range(20))


# --------------------------------------------------------------------------------------------
# In-process specifics
# --------------------------------------------------------------------------------------------


def test_a_slow_page_loses_its_oldest_payloads_not_the_publisher_its_time() -> None:
    hub = InProcessWebPushHub(queue_size=3)
    with hub.subscribe(LAURA) as subscription:
        for n in range(10):
            hub.publish(LAURA, {"n": n})  # never blocks
        assert _drain(subscription, 3) == [{"n": 7}, {"n": 8}, {"n": 9}]
        assert subscription.get(timeout=0.05) is None


def test_closing_the_hub_wakes_and_closes_every_subscription() -> None:
    hub = InProcessWebPushHub()
    laura, andres = hub.subscribe(LAURA), hub.subscribe(ANDRES)
    hub.close()
    assert laura.closed and andres.closed
    assert laura.get(timeout=None) is None
    assert hub.subscriber_count(LAURA) == hub.subscriber_count(ANDRES) == 0


def test_closing_unregisters_the_subscription() -> None:
    hub = InProcessWebPushHub()
    first, second = hub.subscribe(LAURA), hub.subscribe(LAURA)
    assert hub.subscriber_count(LAURA) == 2
    first.close()
    assert hub.subscriber_count(LAURA) == 1
    second.close()
    assert hub.subscriber_count(LAURA) == 0
    hub.publish(LAURA, {"text": "nadie escucha"})  # dropped, no error


def test_subscribers_do_not_share_a_mutable_payload() -> None:
    hub = InProcessWebPushHub()
    with hub.subscribe(LAURA) as tab1, hub.subscribe(LAURA) as tab2:
        hub.publish(LAURA, {"text": "hola"})
        first = tab1.get(timeout=1)
        assert first is not None
        first["text"] = "cambiado"
        assert tab2.get(timeout=1) == {"text": "hola"}


# --------------------------------------------------------------------------------------------
# Redis specifics
# --------------------------------------------------------------------------------------------


@pytest.mark.redis
def test_redis_hub_writes_one_trimmed_stream_per_user(redis_hub: RedisWebPushHub) -> None:
    for n in range(STREAM_MAXLEN * 3):
        redis_hub.publish(LAURA, {"n": n, "text": "¡Pedido en camino!"})
    length = redis_hub.client.xlen(stream_key(LAURA))
    # MAXLEN ~ trims whole macro nodes: about 1000 entries, never the 3000 published.
    assert STREAM_MAXLEN <= length < STREAM_MAXLEN + 200
    assert stream_key(LAURA) == "mestocker:webpush:6"
    assert redis_hub.client.xlen(stream_key(ANDRES)) == 0
    newest: Any = redis_hub.client.xrevrange(stream_key(LAURA), count=1)
    assert newest[0][1][b"payload"].decode() == '{"n": 2999, "text": "¡Pedido en camino!"}'


@pytest.mark.redis
def test_redis_hub_delivers_across_hub_instances(redis_url: str, redis_hub: RedisWebPushHub) -> None:
    """A worker process publishes, an API replica's page receives."""
    publisher = RedisWebPushHub(redis_url)
    try:
        with redis_hub.subscribe(LAURA) as subscription:
            publisher.publish(LAURA, {"text": "Confirmamos el pago de tu pedido ORD-1001."})
            assert subscription.get(timeout=2) == {"text": "Confirmamos el pago de tu pedido ORD-1001."}
    finally:
        publisher.close()


@pytest.mark.redis
def test_redis_hub_skips_malformed_entries(redis_hub: RedisWebPushHub) -> None:
    with redis_hub.subscribe(LAURA) as subscription:
        redis_hub.client.xadd(stream_key(LAURA), {"payload": "{no es json"})
        redis_hub.publish(LAURA, {"text": "válido"})
        assert subscription.get(timeout=2) == {"text": "válido"}


def test_redis_hub_reports_an_unreachable_server() -> None:
    from tests.services import free_port

    hub = RedisWebPushHub(f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(redis.ConnectionError):
        hub.publish(LAURA, {"text": "x"})
    hub.close()


def test_the_hub_follows_the_settings(tmp_path: Path) -> None:
    embedded = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    assert isinstance(build_web_push_hub(embedded), InProcessWebPushHub)
    with_redis = Settings(_env_file=None, data_dir=tmp_path, redis_url="redis://127.0.0.1:1/0")  # type: ignore[call-arg]
    hub = build_web_push_hub(with_redis)
    assert isinstance(hub, RedisWebPushHub)
    hub.close()
