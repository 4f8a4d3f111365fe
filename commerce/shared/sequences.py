"""Named counters for human-readable ids (ORD-1006, PO-0001), safe under concurrency on both databases."""

from __future__ import annotations

from sqlalchemy import Integer, String, update
from sqlalchemy.orm import Mapped, mapped_column

from commerce.shared.orm import Base
from commerce.shared.unit_of_work import UnitOfWork


class Counter(Base):
    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


def next_value(uow: UnitOfWork, name: str, *, start: int = 1) -> int:
    """Atomically increment and return counter `name` (created at `start` on first use).

    The UPDATE takes the row lock (PostgreSQL) or runs inside the writer lock (SQLite), so two
    transactions never get the same value.
    """
    bumped = uow.session.execute(
        update(Counter).where(Counter.name == name).values(value=Counter.value + 1).returning(Counter.value)
    ).scalar_one_or_none()
    if bumped is not None:
        return int(bumped)
    uow.session.add(Counter(name=name, value=start))
    uow.session.flush()
    return start
