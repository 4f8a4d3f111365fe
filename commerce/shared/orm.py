"""Declarative base shared by every bounded context, plus portable column types."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import DateTime, MetaData, TypeDecorator, orm
from sqlalchemy.engine import Dialect

from commerce.shared.clock import as_utc
from commerce.shared.events import Event

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every database (SQLite would hand back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


class Base(orm.DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class Aggregate:
    """Mixin for ORM aggregates that record domain events for the unit of work to collect."""

    _pending_events: list[Event]

    def record(self, event: Event) -> None:
        """Queue an event; the unit of work writes it to the outbox in the same transaction."""
        if not hasattr(self, "_pending_events"):
            self._pending_events = []
        self._pending_events.append(event)

    def pop_events(self) -> list[Event]:
        """Hand over and forget the events recorded so far."""
        events = getattr(self, "_pending_events", [])
        self._pending_events = []
        return events
