"""The composition root: the only place that builds adapters and wires handlers."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from functools import partial

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from commerce.marketplace.payments import PaymentGateway
from commerce.notifications import NOTIFIED_EVENTS, notify_buyer
from commerce.registry import COMMAND_HANDLERS, EVENT_HANDLERS
from commerce.shared.messagebus import MessageBus, inject
from commerce.shared.unit_of_work import UnitOfWork
from infra import migrate
from infra.bus.base import InProcessPublisher, Publisher, Subscriber
from infra.bus.consumers import ConsumerGroup, IdempotentConsumer
from infra.bus.relay import OutboxRelay
from infra.db import make_engine, make_session_factory
from infra.payments.sandbox import SandboxGateway
from infra.settings import BusKind, Settings, get_settings

log = logging.getLogger(__name__)


@dataclass
class Platform:
    """Everything an entry point needs, built once per process."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    read_session_factory: sessionmaker[Session]
    bus: MessageBus
    publisher: Publisher
    relay: OutboxRelay
    consumers: ConsumerGroup
    gateway: PaymentGateway
    outbox_signal: threading.Event = field(default_factory=threading.Event)

    def uow(self) -> UnitOfWork:
        """A unit of work for writes."""
        return UnitOfWork(self.session_factory)

    def read_uow(self) -> UnitOfWork:
        """A unit of work for views (DEFERRED on SQLite so reads never wait for writers)."""
        return UnitOfWork(self.read_session_factory)

    def subscriber(self, group: str = "mestocker-consumers") -> Subscriber | None:
        """The broker subscriber for out-of-process consumers; None for the in-process bus."""
        s = self.settings
        if s.bus == BusKind.REDIS:
            from infra.bus.redis_streams import RedisStreamsSubscriber

            return RedisStreamsSubscriber(s.redis_url, s.redis_stream, group, consumer=f"{group}-1")
        if s.bus == BusKind.KAFKA:
            from infra.bus.kafka import KafkaSubscriber

            return KafkaSubscriber(s.kafka_bootstrap_servers, s.kafka_topic, group)
        return None

    def database_ready(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def close(self) -> None:
        self.publisher.close()
        self.engine.dispose()


def build_publisher(settings: Settings) -> Publisher:
    """The outbox relay's publisher for the configured bus."""
    if settings.bus == BusKind.REDIS:
        from infra.bus.redis_streams import RedisStreamsPublisher

        return RedisStreamsPublisher(settings.redis_url, settings.redis_stream)
    if settings.bus == BusKind.KAFKA:
        from infra.bus.kafka import KafkaPublisher

        return KafkaPublisher(settings.kafka_bootstrap_servers, settings.kafka_topic)
    return InProcessPublisher()


def bootstrap(
    settings: Settings | None = None,
    *,
    publisher: Publisher | None = None,
    gateway: PaymentGateway | None = None,
    run_migrations: bool = True,
) -> Platform:
    """Build the platform: engine, migrations, message bus with injected dependencies, relay, consumers."""
    settings = settings or get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url, pool_size=settings.database_pool_size)
    if run_migrations:
        migrate.upgrade(engine)
    session_factory = make_session_factory(engine)
    read_session_factory = make_session_factory(engine, readonly=True)
    gateway = gateway or SandboxGateway()
    publisher = publisher or build_publisher(settings)
    signal = threading.Event()
    dependencies = {"gateway": gateway}
    bus = MessageBus(
        uow_factory=partial(UnitOfWork, session_factory),
        command_handlers={cmd: inject(h, dependencies) for cmd, h in COMMAND_HANDLERS.items()},
        event_handlers={evt: [inject(h, dependencies) for h in hs] for evt, hs in EVENT_HANDLERS.items()},
        after_commit=[signal.set],
    )
    consumers = ConsumerGroup(
        [IdempotentConsumer("buyer-notifications", notify_buyer, partial(UnitOfWork, session_factory),
                            NOTIFIED_EVENTS)]
    )
    if isinstance(publisher, InProcessPublisher):
        publisher.subscribe(consumers)
    relay = OutboxRelay(session_factory, publisher, read_session_factory=read_session_factory)
    return Platform(settings=settings, engine=engine, session_factory=session_factory,
                    read_session_factory=read_session_factory, bus=bus, publisher=publisher, relay=relay,
                    consumers=consumers, gateway=gateway, outbox_signal=signal)
