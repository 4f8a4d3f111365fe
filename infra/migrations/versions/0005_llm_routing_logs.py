"""llm_routing_logs: one row per privacy-router decision (no raw values: entity types and counts only).

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "llm_routing_logs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("thread_id", sa.String(length=128), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("principal_hash", sa.String(length=64), nullable=True),
        sa.Column("agent", sa.String(length=64), nullable=True),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.Column("entities", sa.JSON(), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("recognizer_set_version", sa.String(length=32), nullable=False),
        sa.Column("policy_version", sa.String(length=32), nullable=False),
        sa.Column("policy_target", sa.String(length=8), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=True),
        sa.Column("fallback_chain", sa.JSON(), nullable=False),
        sa.Column("tried", sa.JSON(), nullable=False),
        sa.Column("fallback", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("legal_basis", sa.String(length=500), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("tokens_in", sa.Integer(), nullable=True),
        sa.Column("tokens_out", sa.Integer(), nullable=True),
        sa.Column("masked", sa.Boolean(), nullable=False),
        sa.Column("complexity_score", sa.Float(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_llm_routing_logs")),
    )
    for column in ("created_at", "request_id", "thread_id", "principal_hash"):
        op.create_index(op.f(f"ix_llm_routing_logs_{column}"), "llm_routing_logs", [column])


def downgrade() -> None:
    for column in ("created_at", "request_id", "thread_id", "principal_hash"):
        op.drop_index(op.f(f"ix_llm_routing_logs_{column}"), table_name="llm_routing_logs")
    op.drop_table("llm_routing_logs")
