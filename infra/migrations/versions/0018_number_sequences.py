"""PostgreSQL sequences for the human-readable numbers (ORD-, PO-, TRF-, TCK-), taking over the counters.

A counter row is locked by the UPDATE that bumps it until the transaction commits, so every order placed
at the same time waited for the one before it to commit: the order path's first hot row
(docs/performance.md). `nextval` takes no lock that outlives the call. Each sequence starts after the
counter's current value; SQLite keeps the counters (its writer lock serialises every transaction anyway).

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# name -> the first number (as commerce.shared.sequences.SEQUENCES says at this revision)
STARTS = {"order": 1001, "purchase_order": 1, "transfer": 1, "support_ticket": 1}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for name, start in STARTS.items():
        current = bind.execute(sa.text("SELECT value FROM counters WHERE name = :n"), {"n": name}).scalar()
        first = int(current) + 1 if current is not None else start
        op.execute(f"CREATE SEQUENCE IF NOT EXISTS number_{name} START WITH {first} MINVALUE 1")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for name in STARTS:
        last = bind.execute(sa.text(f"SELECT last_value, is_called FROM number_{name}")).one()
        value = int(last[0]) if last[1] else int(last[0]) - 1
        bind.execute(sa.text("DELETE FROM counters WHERE name = :n"), {"n": name})
        if value >= 1:
            bind.execute(sa.text("INSERT INTO counters (name, value) VALUES (:n, :v)"), {"n": name, "v": value})
        op.execute(f"DROP SEQUENCE number_{name}")
