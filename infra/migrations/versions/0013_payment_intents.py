"""payment intents: method, next step, idempotency and decision columns on payments; the notification log.

A payment row is now an intent (created → pending → approved | declined | expired | refunded); the gateway's
transaction id (external_ref) is unique per gateway; every verified notification is kept raw in
payment_notifications, unique per gateway, transaction id and reported status. "rejected" becomes "declined".

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("method", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("next_step", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("checkout_url", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("checkout_form", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("reason", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_payments_gateway"), ["gateway", "external_ref"])
        batch_op.create_unique_constraint(batch_op.f("uq_payments_order_id"), ["order_id", "idempotency_key"])
        batch_op.create_check_constraint(batch_op.f("ck_payments_amount_positive"), "amount_cop > 0")
    op.execute("UPDATE payments SET status = 'declined' WHERE status = 'rejected'")
    op.create_table(
        "payment_notifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("gateway", sa.String(length=20), nullable=False),
        sa.Column("dedup_key", sa.String(length=120), nullable=False),
        sa.Column("payment_id", sa.String(length=40), nullable=True),
        sa.Column("transaction_id", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("amount_cop", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_notifications")),
        sa.UniqueConstraint("gateway", "dedup_key", name=op.f("uq_payment_notifications_gateway")),
    )
    with op.batch_alter_table("payment_notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_notifications_payment_id"), ["payment_id"], unique=False)


def downgrade() -> None:
    op.drop_table("payment_notifications")
    op.execute("UPDATE payments SET status = 'rejected' WHERE status = 'declined'")
    op.execute("UPDATE payments SET status = 'pending' WHERE status = 'created'")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_payments_amount_positive"), type_="check")
        batch_op.drop_constraint(batch_op.f("uq_payments_order_id"), type_="unique")
        batch_op.drop_constraint(batch_op.f("uq_payments_gateway"), type_="unique")
        for column in ("decided_at", "updated_at", "idempotency_key", "reason", "checkout_form", "checkout_url",
                       "next_step", "method"):
            batch_op.drop_column(column)
