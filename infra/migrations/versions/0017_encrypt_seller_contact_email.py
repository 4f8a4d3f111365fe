"""Encrypt sellers.contact_email at rest (no lookup uses it: no blind index).

Existing rows are encrypted with the installed key ring, as in 0015/0016; the downgrade decrypts.
On PostgreSQL the column grows to the ciphertext's length (EMAIL_LENGTH); on SQLite the table keeps
its declared length (SQLite enforces none, and recreating `sellers` would trip the foreign keys
pointing at it inside the migration's transaction).

Revision ID: 0017
Revises: 0016
"""
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from commerce.shared.field_crypto import EMAIL_LENGTH, field_cipher, is_encrypted

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

CONTEXT = "sellers.contact_email"
CLEAR_LENGTH = 254


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _encrypt(value: str) -> str:
    cipher = field_cipher()
    return value if cipher is None or is_encrypted(value) else cipher.encrypt(value, context=CONTEXT)


def _clear(value: str) -> str:
    if not is_encrypted(value):
        return value
    cipher = field_cipher()
    if cipher is None:
        raise RuntimeError("downgrading 0017 needs the key ring to decrypt sellers.contact_email")
    return cipher.decrypt(value, context=CONTEXT)


def _rewrite(change: Callable[[str], str]) -> None:
    conn = op.get_bind()
    for row in conn.execute(sa.text("SELECT id, contact_email FROM sellers "
                                    "WHERE contact_email IS NOT NULL")).mappings().all():
        conn.execute(sa.text("UPDATE sellers SET contact_email = :v WHERE id = :id"),
                     {"v": change(row["contact_email"]), "id": row["id"]})


def upgrade() -> None:
    if _postgres():
        op.alter_column("sellers", "contact_email", type_=sa.String(length=EMAIL_LENGTH),
                        existing_type=sa.String(length=CLEAR_LENGTH), existing_nullable=False)
    _rewrite(_encrypt)


def downgrade() -> None:
    _rewrite(_clear)
    if _postgres():
        op.alter_column("sellers", "contact_email", type_=sa.String(length=CLEAR_LENGTH),
                        existing_type=sa.String(length=EMAIL_LENGTH), existing_nullable=False)
