"""Time helpers. Stored timestamps are timezone-aware UTC; people see America/Bogota."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

BOGOTA = ZoneInfo("America/Bogota")


def utcnow() -> datetime:
    """Return the current instant as an aware UTC datetime."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """Treat naive datetimes (SQLite returns them) as UTC and convert aware ones to UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def to_bogota(moment: datetime) -> datetime:
    """Return the moment in Bogotá local time."""
    return as_utc(moment).astimezone(BOGOTA)
