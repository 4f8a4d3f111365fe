"""Named counters for human-readable ids (ORD-1006, PO-0001), safe under concurrency on both databases.

On PostgreSQL the known names are sequences (migration 0018): `nextval` holds no lock until commit, so
concurrent orders do not queue behind one counter row. A sequence does not give a number back when the
transaction rolls back (an order refused for stock leaves a gap); the numbers are references, not an
invoice series (DIAN's consecutive numbering belongs to invoices, which the platform does not issue).
On SQLite, and for other names, a counter row: no gaps, and SQLite's writer lock serialises anyway."""

from __future__ import annotations

from sqlalchemy import Integer, String, text, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from commerce.shared.orm import Base
from commerce.shared.unit_of_work import UnitOfWork


class Counter(Base):
    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


# The names with a PostgreSQL sequence `number_<name>` (created by migration 0018) and their first number.
SEQUENCES = {"order": 1001, "purchase_order": 1, "transfer": 1, "support_ticket": 1}


_NEXTVAL = {name: text(f"SELECT nextval('number_{name}')") for name in SEQUENCES}


def next_value(uow: UnitOfWork, name: str, *, start: int = 1) -> int:
    """Atomically increment and return counter `name` (created at `start` on first use).

    A sequence on PostgreSQL for the names of SEQUENCES; otherwise the counter row's UPDATE takes the
    row lock (PostgreSQL) or runs inside the writer lock (SQLite). Two transactions never get the same value.
    """
    if name in SEQUENCES and uow.session.get_bind().dialect.name == "postgresql":
        return int(uow.session.connection().execute(_NEXTVAL[name]).scalar_one())  # Core: nothing to flush first
    bumped = uow.session.execute(
        update(Counter).where(Counter.name == name).values(value=Counter.value + 1).returning(Counter.value)
    ).scalar_one_or_none()
    if bumped is not None:
        return int(bumped)
    uow.session.add(Counter(name=name, value=start))
    uow.session.flush()
    return start


def set_last_value(session: Session, name: str, value: int) -> None:
    """Make `value` the last number given for `name` (the next is value + 1): loading existing data (the seed)."""
    counter = session.get(Counter, name)
    if counter is None:
        session.add(Counter(name=name, value=value))
    else:
        counter.value = value
    if name in SEQUENCES and session.get_bind().dialect.name == "postgresql":
        # setval(..., false) makes the next nextval return exactly the given value.
        session.execute(text(f"SELECT setval('number_{name}', :next, false)"), {"next": value + 1})


def last_given(session: Session, name: str) -> int | None:
    """The last number `next_value` gave for `name` (None before the first)."""
    if name in SEQUENCES and session.get_bind().dialect.name == "postgresql":
        value, called = session.execute(text(f"SELECT last_value, is_called FROM number_{name}")).one()
        return int(value) if called else (int(value) - 1 or None)
    counter = session.get(Counter, name)
    return None if counter is None else int(counter.value)
