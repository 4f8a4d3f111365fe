"""seller notifications: one heads-up per reorder cycle and seller, delivered like buyer notifications.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "seller_notifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("seller_id", sa.String(length=16), nullable=False),
        sa.Column("cycle_id", sa.String(length=64), nullable=False),
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("channel", sa.String(length=24), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seller_notifications")),
        sa.UniqueConstraint("cycle_id", "seller_id", name=op.f("uq_seller_notifications_cycle_id")),
    )
    with op.batch_alter_table("seller_notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seller_notifications_seller_id"), ["seller_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_seller_notifications_next_attempt_at"), ["next_attempt_at"],
                              unique=False)


def downgrade() -> None:
    op.drop_table("seller_notifications")
