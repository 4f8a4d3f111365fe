"""Data-subject requests and their legal deadlines (Ley 1581 de 2012 arts. 14 y 15).

A consulta (what is held about me: an export) must be answered within 10 business days, a
reclamo (correct, erase, revoke) within 15. Business days are Colombian: Monday to Friday
except national holidays (the `holidays` package, "CO", with the Ley Emiliani moves), counted
from the day after the request is received, in America/Bogota.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache

import holidays
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Date, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from commerce.identity.principal import Principal, Scope
from commerce.shared.clock import BOGOTA, utcnow
from commerce.shared.errors import NotAuthorized
from commerce.shared.orm import Base, UTCDateTime
from commerce.shared.unit_of_work import UnitOfWork

STAFF_ONLY = "Solo el equipo de MeStocker puede ver las solicitudes de datos personales de los titulares."


class RequestKind(StrEnum):
    CONSULTA = "consulta"  # art. 14: 10 business days
    RECLAMO = "reclamo"  # art. 15: 15 business days


class RequestType(StrEnum):
    EXPORT = "export"
    CORRECTION = "correction"
    ERASURE = "erasure"
    REVOCATION = "revocation"


class RequestStatus(StrEnum):
    RECEIVED = "received"
    RESOLVED = "resolved"


KIND_OF: dict[RequestType, RequestKind] = {
    RequestType.EXPORT: RequestKind.CONSULTA, RequestType.CORRECTION: RequestKind.RECLAMO,
    RequestType.ERASURE: RequestKind.RECLAMO, RequestType.REVOCATION: RequestKind.RECLAMO,
}
BUSINESS_DAYS: dict[RequestKind, int] = {RequestKind.CONSULTA: 10, RequestKind.RECLAMO: 15}


@lru_cache(maxsize=16)
def _colombian_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("CO", years=year))


def is_business_day(day: date) -> bool:
    """Monday to Friday and not a Colombian national holiday."""
    return day.weekday() < 5 and day not in _colombian_holidays(day.year)


def add_business_days(start: date, days: int) -> date:
    """The `days`-th business day after `start` (the day of receipt does not count)."""
    current = start
    counted = 0
    while counted < days:
        current += timedelta(days=1)
        if is_business_day(current):
            counted += 1
    return current


def legal_deadline(kind: RequestKind, received_at: datetime) -> date:
    """The last day (Bogotá) to answer a request of `kind` received at `received_at`."""
    return add_business_days(received_at.astimezone(BOGOTA).date(), BUSINESS_DAYS[kind])


class PrivacyRequest(Base):
    __tablename__ = "privacy_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(12))  # RequestKind
    type: Mapped[str] = mapped_column(String(16))  # RequestType
    channel: Mapped[str] = mapped_column(String(16), default="api")
    status: Mapped[str] = mapped_column(String(12), default=RequestStatus.RECEIVED)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    due_on: Mapped[date] = mapped_column(Date)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class PrivacyRequestRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    kind: str
    type: str
    channel: str
    status: str
    received_at: datetime
    due_on: date
    resolved_at: datetime | None


def record_request(session: Session, *, user_id: int, type: RequestType, channel: str,
                   resolved: bool = True) -> PrivacyRequest:
    """Add a request with its deadline to the caller's transaction (answered at once unless `resolved` is off)."""
    now = utcnow()
    kind = KIND_OF[type]
    request = PrivacyRequest(user_id=user_id, kind=kind, type=type, channel=channel[:16], received_at=now,
                             due_on=legal_deadline(kind, now),
                             status=RequestStatus.RESOLVED if resolved else RequestStatus.RECEIVED,
                             resolved_at=now if resolved else None)
    session.add(request)
    return request


def list_privacy_requests(*, uow: UnitOfWork, principal: Principal, status: str | None = None,
                          limit: int = 200) -> list[PrivacyRequestRead]:
    """Requests with their legal deadlines, the earliest deadline first (staff only)."""
    if not principal.holds(Scope.PRIVACY_ADMIN):
        raise NotAuthorized(STAFF_ONLY)
    stmt = select(PrivacyRequest)
    if status:
        stmt = stmt.where(PrivacyRequest.status == status)
    stmt = stmt.order_by(PrivacyRequest.due_on, PrivacyRequest.id).limit(max(1, min(limit, 1000)))
    return [PrivacyRequestRead.model_validate(row) for row in uow.session.scalars(stmt)]
