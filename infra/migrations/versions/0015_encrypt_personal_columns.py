"""Encrypt personal columns at rest (AES-256-GCM, key id per value) with HMAC blind indexes for lookups.

buyers: name, cédula, phone, email, address (unique constraints move to cedula_index/email_index);
users: phone (+ phone_index, the WhatsApp lookup); channel_sessions: address (WhatsApp numbers);
support_tickets: summary. Existing rows are encrypted with the key ring bootstrap installed
(without one they stay readable in clear until `mestocker keys rotate`). The downgrade decrypts.

Revision ID: 0015
Revises: 0014
"""
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from commerce.shared.field_crypto import ENCRYPTED_LENGTH, blind_index, field_cipher, is_encrypted

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# table → (primary key, [(column, clear length, encrypted length)])
COLUMNS: dict[str, tuple[str, list[tuple[str, int, int]]]] = {
    "buyers": ("id", [("name", 160, ENCRYPTED_LENGTH), ("cedula", 20, ENCRYPTED_LENGTH),
                      ("phone", 32, ENCRYPTED_LENGTH), ("email", 254, ENCRYPTED_LENGTH),
                      ("address", 200, ENCRYPTED_LENGTH)]),
    "users": ("id", [("phone", 32, ENCRYPTED_LENGTH)]),
    "channel_sessions": ("id", [("address", 32, ENCRYPTED_LENGTH)]),
    "support_tickets": ("id", [("summary", 1000, 1500)]),
}


def _phone_digits(raw: str) -> str:
    digits = "".join(ch for ch in raw if ch.isdigit())
    return "57" + digits if len(digits) == 10 and digits.startswith("3") else digits


def _rewrite(table: str, change: Callable[[str, str], str]) -> None:
    """Apply `change(context, value)` to every non-null personal value of `table`."""
    pk, columns = COLUMNS[table]
    conn = op.get_bind()
    names = [c for c, _, _ in columns]
    for row in conn.execute(sa.text(f"SELECT {pk}, {', '.join(names)} FROM {table}")).mappings().all():
        values = {c: change(f"{table}.{c}", row[c]) for c in names if row[c] is not None}
        if values:
            sets = ", ".join(f"{c} = :{c}" for c in values)
            conn.execute(sa.text(f"UPDATE {table} SET {sets} WHERE {pk} = :pk"), {**values, "pk": row[pk]})


def _encrypt(context: str, value: str) -> str:
    cipher = field_cipher()
    return value if cipher is None or is_encrypted(value) else cipher.encrypt(value, context=context)


def _decrypt(context: str, value: str) -> str:
    cipher = field_cipher()
    if not is_encrypted(value):
        return value
    if cipher is None:
        raise RuntimeError("downgrading 0015 needs the key ring to decrypt the personal columns")
    return cipher.decrypt(value, context=context)


def _index_rows() -> None:
    conn = op.get_bind()
    cipher = field_cipher()

    def clear(context: str, value: str) -> str:
        return cipher.decrypt(value, context=context) if cipher is not None and is_encrypted(value) else value

    for row in conn.execute(sa.text("SELECT id, cedula, email FROM buyers")).mappings().all():
        cedula = "".join(ch for ch in clear("buyers.cedula", row["cedula"]) if ch.isalnum()).upper()
        conn.execute(sa.text("UPDATE buyers SET cedula_index = :c, email_index = :e WHERE id = :id"),
                     {"c": blind_index(cedula), "e": blind_index(clear("buyers.email", row["email"]).strip().lower()),
                      "id": row["id"]})
    for row in conn.execute(sa.text("SELECT id, phone FROM users WHERE phone IS NOT NULL")).mappings().all():
        conn.execute(sa.text("UPDATE users SET phone_index = :p WHERE id = :id"),
                     {"p": blind_index(_phone_digits(clear("users.phone", row["phone"]))), "id": row["id"]})


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _resize(table: str, *, clear: bool) -> None:
    """Make room for the ciphertext (or give the clear lengths back)."""
    _pk, columns = COLUMNS[table]
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column, clear_length, encrypted_length in columns:
            batch_op.alter_column(column, type_=sa.String(length=clear_length if clear else encrypted_length),
                                  existing_type=sa.String(length=encrypted_length if clear else clear_length))


def _resizable() -> tuple[str, ...]:
    """Tables whose column types change. On SQLite a type change recreates the table (copy, drop, rename),
    which the foreign keys pointing at `buyers` and `users` refuse inside a migration's transaction (and
    dropping `users` would fire the ON DELETE CASCADE of consents and sessions): there those two keep their
    declared lengths and buyers its old unique constraints over ciphertext, harmless since SQLite enforces
    no lengths and random nonces never collide. Uniqueness lives in the blind indexes on both."""
    return tuple(COLUMNS) if _postgres() else ("channel_sessions", "support_tickets")


def upgrade() -> None:
    if _postgres():
        op.drop_constraint("uq_buyers_cedula", "buyers", type_="unique")
        op.drop_constraint("uq_buyers_email", "buyers", type_="unique")
        op.execute("ALTER TABLE idempotency_keys ALTER COLUMN response TYPE TEXT USING response::text")
    else:
        with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
            batch_op.alter_column("response", type_=sa.Text(), existing_type=sa.JSON())
    for table in _resizable():
        _resize(table, clear=False)
    op.add_column("buyers", sa.Column("cedula_index", sa.String(length=64), nullable=True))
    op.add_column("buyers", sa.Column("email_index", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_buyers_cedula_index"), "buyers", ["cedula_index"], unique=True)
    op.create_index(op.f("ix_buyers_email_index"), "buyers", ["email_index"], unique=True)
    op.drop_index("ix_users_phone", table_name="users")
    op.add_column("users", sa.Column("phone_index", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_users_phone_index"), "users", ["phone_index"], unique=False)
    _index_rows()
    for table in COLUMNS:
        _rewrite(table, _encrypt)
    _rewrite_responses(_encrypt)


def _rewrite_responses(change: Callable[[str, str], str]) -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT scope, key, response FROM idempotency_keys WHERE response IS NOT NULL"))
    for row in rows.mappings().all():
        conn.execute(sa.text("UPDATE idempotency_keys SET response = :r WHERE scope = :s AND key = :k"),
                     {"r": change("idempotency_keys.response", str(row["response"])), "s": row["scope"],
                      "k": row["key"]})


def downgrade() -> None:
    for table in COLUMNS:
        _rewrite(table, _decrypt)
    _rewrite_responses(_decrypt)
    op.drop_index(op.f("ix_users_phone_index"), table_name="users")
    op.drop_column("users", "phone_index")
    op.create_index("ix_users_phone", "users", ["phone"], unique=False)
    op.drop_index(op.f("ix_buyers_email_index"), table_name="buyers")
    op.drop_index(op.f("ix_buyers_cedula_index"), table_name="buyers")
    op.drop_column("buyers", "email_index")
    op.drop_column("buyers", "cedula_index")
    for table in _resizable():
        _resize(table, clear=True)
    if _postgres():
        op.execute("ALTER TABLE idempotency_keys ALTER COLUMN response TYPE JSON USING response::json")
        op.create_unique_constraint("uq_buyers_cedula", "buyers", ["cedula"])
        op.create_unique_constraint("uq_buyers_email", "buyers", ["email"])
    else:
        with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
            batch_op.alter_column("response", type_=sa.JSON(), existing_type=sa.Text())
