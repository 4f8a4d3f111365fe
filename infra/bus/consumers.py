"""Idempotent event consumers: the processed-message row commits together with the side effects."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from sqlalchemy.exc import IntegrityError

from commerce.shared.events import Event, EventEnvelope, event_from_envelope
from commerce.shared.outbox import ProcessedMessage
from commerce.shared.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

ConsumerHandler = Callable[[Event, UnitOfWork], None]


class IdempotentConsumer:
    """Applies each event at most once per consumer name, however often the broker delivers it."""

    def __init__(self, name: str, handler: ConsumerHandler, uow_factory: Callable[[], UnitOfWork],
                 event_names: frozenset[str], wants: Callable[[Event], bool] | None = None) -> None:
        self.name = name
        self.handler = handler
        self.uow_factory = uow_factory
        self.event_names = event_names
        # `wants`: a check on the event alone (no database) that the handler would do nothing with it; such an
        # event opens no transaction and leaves no processed-message row (a no-op needs no deduplication).
        self.wants = wants

    def __call__(self, envelope: EventEnvelope) -> None:
        if envelope.name not in self.event_names:
            return
        event = event_from_envelope(envelope)
        if self.wants is not None and not self.wants(event):
            return
        with self.uow_factory() as uow:
            uow.session.add(ProcessedMessage(consumer=self.name, event_id=envelope.id))
            try:
                uow.flush()
            except IntegrityError:
                log.debug("%s: %s %s already processed", self.name, envelope.name, envelope.id)
                return
            self.handler(event, uow)
            uow.commit()


class ConsumerGroup:
    """Fans one envelope out to several consumers (each deduplicates on its own)."""

    def __init__(self, consumers: Sequence[Callable[[EventEnvelope], None]]) -> None:
        self.consumers = list(consumers)

    def __call__(self, envelope: EventEnvelope) -> None:
        for consumer in self.consumers:
            consumer(envelope)
