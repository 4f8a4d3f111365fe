"""Channel sessions (last channel used, WhatsApp service window) and notification delivery bookkeeping.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=32), nullable=True),
        sa.Column("last_inbound_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_channel_sessions_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_sessions")),
        sa.UniqueConstraint("user_id", "channel", name=op.f("uq_channel_sessions_user_id")),
    )
    op.create_index(op.f("ix_channel_sessions_user_id"), "channel_sessions", ["user_id"])

    # batch mode: SQLite cannot add columns with constraints in place (PostgreSQL alters directly).
    with op.batch_alter_table("buyer_notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("channel", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("last_error", sa.String(length=200), nullable=True))
        batch_op.create_index(batch_op.f("ix_buyer_notifications_next_attempt_at"), ["next_attempt_at"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("buyer_notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_buyer_notifications_next_attempt_at"))
        batch_op.drop_column("last_error")
        batch_op.drop_column("channel")
        batch_op.drop_column("sent_at")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("attempts")
    op.drop_index(op.f("ix_channel_sessions_user_id"), table_name="channel_sessions")
    op.drop_table("channel_sessions")
