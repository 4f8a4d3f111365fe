"""Smoke tests proving each throwaway service from tests/services.py really works end to end."""

from __future__ import annotations

import time
import uuid

import pytest


@pytest.mark.postgres
def test_postgres_answers_and_has_unaccent(postgres_url: str) -> None:
    import psycopg

    assert postgres_url.startswith("postgresql+psycopg://")
    # psycopg wants a libpq URL: drop SQLAlchemy's "+driver" part.
    with psycopg.connect(postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
        assert conn.execute("SELECT current_database()").fetchone() == ("mestocker_test",)
        assert conn.execute("SELECT unaccent('Café')").fetchone() == ("Cafe",)


@pytest.mark.postgres
def test_postgres_url_works_with_sqlalchemy(postgres_url: str) -> None:
    sqlalchemy = pytest.importorskip("sqlalchemy")

    engine = sqlalchemy.create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sqlalchemy.text("SELECT lower('ÑANDÚ')")).scalar_one() == "ñandú"
    finally:
        engine.dispose()


@pytest.mark.redis
def test_redis_stream_round_trip(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        stream, group = f"smoke-{uuid.uuid4().hex}", "workers"
        client.xgroup_create(stream, group, id="0", mkstream=True)
        entry_id = client.xadd(stream, {"order": "42"})
        batches = client.xreadgroup(group, "worker-1", {stream: ">"}, count=10, block=2000)
        assert batches == [[stream, [(entry_id, {"order": "42"})]]]
        assert client.xack(stream, group, entry_id) == 1
        assert client.xpending(stream, group)["pending"] == 0
    finally:
        client.close()


@pytest.mark.kafka
def test_kafka_produce_consume_round_trip(kafka_bootstrap: str) -> None:
    from confluent_kafka import Consumer, Producer

    from tests.services import create_kafka_topic

    topic = f"smoke-{uuid.uuid4().hex}"
    create_kafka_topic(kafka_bootstrap, topic, partitions=1)

    delivered: list[str] = []
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    producer.produce(topic, key=b"k", value=b"hello", on_delivery=lambda err, _msg: delivered.append(str(err)))
    assert producer.flush(10) == 0
    assert delivered == ["None"]

    consumer = Consumer(
        {
            "bootstrap.servers": kafka_bootstrap,
            "group.id": f"smoke-{uuid.uuid4().hex}",
            "session.timeout.ms": 6000,
            "auto.offset.reset": "earliest",
        }
    )
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + 30
        received = None
        while received is None and time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            assert msg.error() is None, msg.error()
            received = msg
        assert received is not None, "no message consumed within 30s"
        assert (received.key(), received.value()) == (b"k", b"hello")
        consumer.commit(message=received, asynchronous=False)
    finally:
        consumer.close()
