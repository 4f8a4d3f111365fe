"""Kafka transport (confluent-kafka): one topic of domain events, keyed by aggregate for ordering."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer

from commerce.shared.events import EventEnvelope
from infra.bus.base import EnvelopeHandler, Publisher, PublishError, Subscriber


class KafkaPublisher(Publisher):
    name = "kafka"

    def __init__(self, bootstrap_servers: str, topic: str, *, timeout: float = 10.0) -> None:
        self.topic, self.timeout = topic, timeout
        self.producer = Producer(
            {
                "bootstrap.servers": bootstrap_servers,
                "enable.idempotence": True,
                "acks": "all",
                "message.timeout.ms": int(timeout * 1000),
                "socket.timeout.ms": int(timeout * 1000),
            }
        )

    def publish(self, envelopes: Sequence[EventEnvelope]) -> None:
        errors: list[str] = []

        def on_delivery(err: KafkaError | None, _msg: Any) -> None:
            if err is not None:
                errors.append(str(err))

        try:
            for envelope in envelopes:
                self.producer.produce(
                    self.topic, key=envelope.key.encode(), value=envelope.model_dump_json().encode(),
                    headers={"event-name": envelope.name, "event-version": str(envelope.version)},
                    on_delivery=on_delivery,
                )
                self.producer.poll(0)
            remaining = self.producer.flush(self.timeout)
        except (KafkaException, BufferError) as exc:
            raise PublishError(f"kafka: {exc}") from exc
        if remaining or errors:
            raise PublishError(f"kafka: {remaining} undelivered, errors: {errors[:3]}")

    def ping(self) -> bool:
        try:
            self.producer.list_topics(timeout=2)
            return True
        except KafkaException:
            return False

    def close(self) -> None:
        self.producer.flush(self.timeout)


class KafkaSubscriber(Subscriber):
    """A consumer-group member that commits offsets only after the handler succeeded."""

    def __init__(self, bootstrap_servers: str, topic: str, group: str) -> None:
        self.consumer = Consumer(
            {
                "bootstrap.servers": bootstrap_servers,
                "group.id": group,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "session.timeout.ms": 6000,
            }
        )
        self.consumer.subscribe([topic])

    def poll(self, handler: EnvelopeHandler, *, timeout: float = 1.0, max_messages: int = 100) -> int:
        messages = self.consumer.consume(num_messages=max_messages, timeout=timeout)
        handled = 0
        for message in messages:
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    continue
                raise KafkaException(error)
            handler(EventEnvelope.model_validate_json(message.value() or b"{}"))
            self.consumer.commit(message=message, asynchronous=False)
            handled += 1
        return handled

    def close(self) -> None:
        self.consumer.close()
