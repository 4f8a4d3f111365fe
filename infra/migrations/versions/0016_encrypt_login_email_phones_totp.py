"""Encrypt the login email, the bound WhatsApp numbers and the TOTP secrets; blind indexes for lookups.

users.email (+ email_index, unique over the lower-cased address: uniqueness moves there);
verified_phones.phone (+ phone_index, unique); phone_link_codes.wa_id and phone_link_failures.wa_id
(+ wa_id_index); totp_credentials.secret and pending_secret (no lookups); payments.checkout_form and
payment_notifications.raw (JSON → encrypted text: a PayU form and a raw notification quote the
payer). Existing rows are encrypted with the installed key ring, as in 0015; the downgrade decrypts. On SQLite `users` keeps its declared
email length and its old unique constraint over the (now ciphertext) column: SQLite enforces no
lengths, recreating `users` would trip the foreign keys pointing at it, and random nonces never
collide. The other tables are recreated (batch mode) with the new shape.

Revision ID: 0016
Revises: 0015
"""
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from commerce.shared.field_crypto import EMAIL_LENGTH, ENCRYPTED_LENGTH, blind_index, field_cipher, is_encrypted

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _lower(value: str) -> str:
    return value.strip().lower()


def _same(value: str) -> str:
    return value


# table → (primary key, [(column, clear length, encrypted length, index column or None, normaliser, unique)])
COLUMNS: dict[str, tuple[str, list[tuple[str, int, int, str | None, Callable[[str], str], bool]]]] = {
    "users": ("id", [("email", 254, EMAIL_LENGTH, "email_index", _lower, True)]),
    "verified_phones": ("id", [("phone", 32, ENCRYPTED_LENGTH, "phone_index", _same, True)]),
    "phone_link_codes": ("id", [("wa_id", 32, ENCRYPTED_LENGTH, "wa_id_index", _same, False)]),
    "phone_link_failures": ("id", [("wa_id", 32, ENCRYPTED_LENGTH, "wa_id_index", _same, False)]),
    "totp_credentials": ("user_id", [("secret", 64, ENCRYPTED_LENGTH, None, _same, False),
                                     ("pending_secret", 64, ENCRYPTED_LENGTH, None, _same, False)]),
}
# The constraints and indexes over the clear columns (dropped; lookups and uniqueness use the blind indexes).
OLD_UNIQUE = {"users": "uq_users_email", "verified_phones": "uq_verified_phones_phone"}
OLD_INDEX = {"phone_link_codes": "ix_phone_link_codes_wa_id", "phone_link_failures": "ix_phone_link_failures_wa_id"}


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _clear(context: str, value: str) -> str:
    cipher = field_cipher()
    if not is_encrypted(value):
        return value
    if cipher is None:
        raise RuntimeError("0016 needs the key ring to read encrypted values")
    return cipher.decrypt(value, context=context)


def _encrypt(context: str, value: str) -> str:
    cipher = field_cipher()
    return value if cipher is None or is_encrypted(value) else cipher.encrypt(value, context=context)


def _rewrite(table: str, change: Callable[[str, str], str], *, index: bool) -> None:
    pk, columns = COLUMNS[table]
    conn = op.get_bind()
    names = [c[0] for c in columns]
    for row in conn.execute(sa.text(f"SELECT {pk}, {', '.join(names)} FROM {table}")).mappings().all():
        values: dict[str, str | None] = {}
        for column, _clear_len, _enc_len, index_column, normalise, _unique in columns:
            if row[column] is None:
                continue
            context = f"{table}.{column}"
            if index and index_column:
                values[index_column] = blind_index(normalise(_clear(context, row[column])))
            values[column] = change(context, row[column])
        if values:
            sets = ", ".join(f"{c} = :{c}" for c in values)
            conn.execute(sa.text(f"UPDATE {table} SET {sets} WHERE {pk} = :pk"), {**values, "pk": row[pk]})


def _reshaped(table: str) -> bool:
    """Whether the column types and old constraints change: everywhere but `users` on SQLite (recreating it
    there would trip the foreign keys pointing at it; SQLite enforces no lengths)."""
    return _postgres() or table != "users"


def _resize(table: str, *, clear: bool) -> None:
    column_names = [c[0] for c in COLUMNS[table][1]]
    with op.batch_alter_table(table, schema=None) as batch_op:
        if not clear and table in OLD_UNIQUE:
            batch_op.drop_constraint(OLD_UNIQUE[table], type_="unique")
        for column, clear_length, encrypted_length, *_rest in COLUMNS[table][1]:
            batch_op.alter_column(column, type_=sa.String(length=clear_length if clear else encrypted_length),
                                  existing_type=sa.String(length=encrypted_length if clear else clear_length))
        if clear and table in OLD_UNIQUE:
            batch_op.create_unique_constraint(OLD_UNIQUE[table], [column_names[0]])


# JSON documents that quote the payer (a PayU checkout form, a gateway's raw notification): JSON → encrypted text.
DOCUMENTS = {"payments": ("id", "checkout_form"), "payment_notifications": ("id", "raw")}


def _documents(*, encrypt: bool) -> None:
    conn = op.get_bind()
    for table, (pk, column) in DOCUMENTS.items():
        if encrypt:
            _retype(table, column, sa.Text(), sa.JSON(), "text")
        rows = conn.execute(sa.text(f"SELECT {pk}, {column} FROM {table} WHERE {column} IS NOT NULL"))
        context = f"{table}.{column}"
        for row in rows.mappings().all():
            value = str(row[column])
            conn.execute(sa.text(f"UPDATE {table} SET {column} = :v WHERE {pk} = :pk"),
                         {"v": _encrypt(context, value) if encrypt else _clear(context, value), "pk": row[pk]})
        if not encrypt:
            _retype(table, column, sa.JSON(), sa.Text(), "json")


def _retype(table: str, column: str, new: sa.types.TypeEngine, old: sa.types.TypeEngine, cast: str) -> None:
    if _postgres():
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {cast.upper()} USING {column}::{cast}")
    else:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, type_=new, existing_type=old)


def upgrade() -> None:
    _documents(encrypt=True)
    for table, (_pk, columns) in COLUMNS.items():
        if _reshaped(table):
            if table in OLD_INDEX:
                op.drop_index(OLD_INDEX[table], table_name=table)
            _resize(table, clear=False)
        for _column, _c, _e, index_column, _n, _unique in columns:
            if index_column:
                op.add_column(table, sa.Column(index_column, sa.String(length=64), nullable=True))
        _rewrite(table, _encrypt, index=True)
        for _column, _c, _e, index_column, _n, unique in columns:
            if index_column:
                op.create_index(op.f(f"ix_{table}_{index_column}"), table, [index_column], unique=unique)


def downgrade() -> None:
    _documents(encrypt=False)
    for table, (_pk, columns) in COLUMNS.items():
        _rewrite(table, _clear, index=False)
        for _column, _c, _e, index_column, _n, _unique in columns:
            if index_column:
                op.drop_index(op.f(f"ix_{table}_{index_column}"), table_name=table)
                op.drop_column(table, index_column)
        if _reshaped(table):
            _resize(table, clear=True)
            if table in OLD_INDEX:
                op.create_index(OLD_INDEX[table], table, [columns[0][0]], unique=False)
