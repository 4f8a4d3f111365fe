"""service_clients (OAuth2 client credentials, secrets hashed) and refresh_tokens.scopes (narrowed logins).

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_clients",
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("secret_hash", sa.String(length=200), nullable=False),
        sa.Column("scopes", sa.String(length=1000), nullable=False),
        sa.Column("seller_id", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["seller_id"], ["sellers.id"], name=op.f("fk_service_clients_seller_id_sellers")),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_service_clients")),
        sa.UniqueConstraint("name", name=op.f("uq_service_clients_name")),
    )
    with op.batch_alter_table("refresh_tokens") as batch:
        batch.add_column(sa.Column("scopes", sa.String(length=1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("refresh_tokens") as batch:
        batch.drop_column("scopes")
    op.drop_table("service_clients")
