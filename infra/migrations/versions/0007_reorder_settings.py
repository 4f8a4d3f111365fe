"""reorder agent: per-seller settings, cycles and proposals (numbers + Spanish explanation).

Revision ID: 0007
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reorder_settings",
        sa.Column("seller_id", sa.String(length=16), nullable=False),
        sa.Column("service_level", sa.Float(), nullable=False),
        sa.Column("review_period_days", sa.Integer(), nullable=False),
        sa.Column("transfer_lead_days", sa.Integer(), nullable=False),
        sa.Column("transfer_lead_overrides", sa.JSON(), nullable=False),
        sa.Column("transfer_cost_per_unit_cop", sa.Integer(), nullable=False),
        sa.Column("auto_approve_limit_cop", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=True),
        sa.CheckConstraint("service_level >= 0.5 AND service_level < 1",
                           name=op.f("ck_reorder_settings_service_level_range")),
        sa.CheckConstraint("review_period_days >= 1", name=op.f("ck_reorder_settings_review_period_positive")),
        sa.CheckConstraint("auto_approve_limit_cop >= 0", name=op.f("ck_reorder_settings_auto_approve_non_negative")),
        sa.ForeignKeyConstraint(["seller_id"], ["sellers.id"], name=op.f("fk_reorder_settings_seller_id_sellers")),
        sa.PrimaryKeyConstraint("seller_id", name=op.f("pk_reorder_settings")),
    )
    op.create_table(
        "reorder_cycles",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("seller_id", sa.String(length=16), nullable=True),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reorder_cycles")),
    )
    op.create_index(op.f("ix_reorder_cycles_seller_id"), "reorder_cycles", ["seller_id"])
    op.create_table(
        "reorder_proposals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("cycle_id", sa.String(length=64), nullable=False),
        sa.Column("seller_id", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("sku", sa.String(length=32), nullable=False),
        sa.Column("warehouse", sa.String(length=8), nullable=False),
        sa.Column("from_warehouse", sa.String(length=8), nullable=True),
        sa.Column("purchase_order_id", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_cost_cop", sa.Integer(), nullable=False),
        sa.Column("cost_cop", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("daily_demand", sa.Float(), nullable=False),
        sa.Column("lead_time_days", sa.Integer(), nullable=False),
        sa.Column("safety_stock", sa.Integer(), nullable=False),
        sa.Column("reorder_point", sa.Integer(), nullable=False),
        sa.Column("available", sa.Integer(), nullable=False),
        sa.Column("stockout_on", sa.Date(), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_reorder_proposals_quantity_positive")),
        sa.ForeignKeyConstraint(["cycle_id"], ["reorder_cycles.id"],
                                name=op.f("fk_reorder_proposals_cycle_id_reorder_cycles")),
        sa.ForeignKeyConstraint(["seller_id"], ["sellers.id"], name=op.f("fk_reorder_proposals_seller_id_sellers")),
        sa.ForeignKeyConstraint(["sku"], ["supply_items.sku"], name=op.f("fk_reorder_proposals_sku_supply_items")),
        sa.ForeignKeyConstraint(["warehouse"], ["warehouses.code"],
                                name=op.f("fk_reorder_proposals_warehouse_warehouses")),
        sa.ForeignKeyConstraint(["purchase_order_id"], ["purchase_orders.id"],
                                name=op.f("fk_reorder_proposals_purchase_order_id_purchase_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reorder_proposals")),
        sa.UniqueConstraint("cycle_id", "sku", "warehouse", "kind", name=op.f("uq_reorder_proposals_cycle_id")),
    )
    for column in ("cycle_id", "seller_id", "purchase_order_id"):
        op.create_index(op.f(f"ix_reorder_proposals_{column}"), "reorder_proposals", [column])


def downgrade() -> None:
    for column in ("cycle_id", "seller_id", "purchase_order_id"):
        op.drop_index(op.f(f"ix_reorder_proposals_{column}"), table_name="reorder_proposals")
    op.drop_table("reorder_proposals")
    op.drop_index(op.f("ix_reorder_cycles_seller_id"), table_name="reorder_cycles")
    op.drop_table("reorder_cycles")
    op.drop_table("reorder_settings")
