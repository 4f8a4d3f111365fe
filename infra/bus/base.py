"""Ports of the event transport: publishers (outbox relay → broker) and subscribers (broker → consumers)."""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence

from commerce.shared.events import EventEnvelope

EnvelopeHandler = Callable[[EventEnvelope], None]


class PublishError(RuntimeError):
    """The broker did not accept the batch; the relay keeps the events and retries later."""


class Publisher(abc.ABC):
    name = "publisher"

    @abc.abstractmethod
    def publish(self, envelopes: Sequence[EventEnvelope]) -> None:
        """Deliver every envelope or raise PublishError (a partial batch is retried whole)."""

    def ping(self) -> bool:
        """True when the broker is reachable (used by /readyz)."""
        return True

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


class Subscriber(abc.ABC):
    """Pulls envelopes from a broker and hands them to a handler; acknowledges only after success."""

    @abc.abstractmethod
    def poll(self, handler: EnvelopeHandler, *, timeout: float = 1.0, max_messages: int = 100) -> int:
        """Deliver up to `max_messages` envelopes; return how many were handled."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


class InProcessPublisher(Publisher):
    """Embedded profile: 'publishing' calls the subscribed consumers directly, in this process."""

    name = "inprocess"

    def __init__(self) -> None:
        self.subscribers: list[EnvelopeHandler] = []

    def subscribe(self, handler: EnvelopeHandler) -> None:
        self.subscribers.append(handler)

    def publish(self, envelopes: Sequence[EventEnvelope]) -> None:
        for envelope in envelopes:
            for handler in self.subscribers:
                handler(envelope)
