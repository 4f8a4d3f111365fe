"""products.description: the short Spanish listing text a seller writes (semantic search reads it).

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("products", sa.Column("description", sa.String(length=500), nullable=False, server_default=""))


def downgrade() -> None:
    # Plain ALTER TABLE (SQLite 3.35+): a batch rebuild of `products` would drop its full-text triggers.
    op.drop_column("products", "description")
