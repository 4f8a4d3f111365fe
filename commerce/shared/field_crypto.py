"""Encrypted personal columns: a SQLAlchemy type over a cipher port the composition root installs.

`EncryptedString` stores `enc:v1:<key id>:<base64(nonce | ciphertext | tag)>` (AES-256-GCM in the
infra adapter, the column's name as associated data so a value cannot be moved to another
column) and hands back clear text; a value stored before encryption (no prefix) still reads, and
`mestocker keys rotate` re-encrypts it. Equality lookups go through a keyed hash (HMAC-SHA256)
column instead: `blind_index(value)`.

Column types are declared when the model modules are imported, long before bootstrap builds
the key ring, so the cipher is one process-wide registration (`install_field_cipher`), made by
infra/bootstrap.py before anything touches the database. Commerce only knows the port.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy import String, Text, type_coerce
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

PREFIX = "enc:v1:"
# Room for a 200-character value: prefix, key id, 12-byte nonce and 16-byte tag, base64 (4/3).
ENCRYPTED_LENGTH = 400
# An email may be 254 characters: its ciphertext needs more room.
EMAIL_LENGTH = 500


class FieldCipher(Protocol):
    """What the encrypted columns need from the key ring."""

    @property
    def active_key_id(self) -> str: ...

    def encrypt(self, plaintext: str, *, context: str) -> str: ...

    def decrypt(self, token: str, *, context: str) -> str: ...

    def blind_index(self, value: str) -> str: ...


_installed: list[FieldCipher] = []
# Without a key ring (a bare unit test) indexes still work, keyed with a fixed development key.
_DEV_INDEX_KEY = b"mestocker-unkeyed-development-index"


def install_field_cipher(cipher: FieldCipher | None) -> None:
    """Register the process's cipher (None removes it: values are then written in clear)."""
    _installed.clear()
    if cipher is not None:
        _installed.append(cipher)


def field_cipher() -> FieldCipher | None:
    return _installed[0] if _installed else None


def is_encrypted(value: str | None) -> bool:
    return bool(value) and str(value).startswith(PREFIX)


def key_id_of(token: str) -> str | None:
    """The key id an encrypted value names (None for a clear value)."""
    return token[len(PREFIX):].split(":", 1)[0] if is_encrypted(token) else None


def blind_index(value: str | None) -> str | None:
    """The keyed hash an equality lookup compares (the value as given: normalise before calling)."""
    if value is None:
        return None
    cipher = field_cipher()
    if cipher is not None:
        return cipher.blind_index(value)
    return hmac.new(_DEV_INDEX_KEY, value.encode(), hashlib.sha256).hexdigest()


class EncryptedString(TypeDecorator[str]):
    """A personal text column encrypted at rest; `context` ("table.column") binds each value to its column."""

    impl = String
    cache_ok = True

    def __init__(self, context: str, length: int = ENCRYPTED_LENGTH) -> None:
        super().__init__(length)
        self.context = context

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None or is_encrypted(value):
            return value  # type: ignore[no-any-return]
        cipher = field_cipher()
        return cipher.encrypt(str(value), context=self.context) if cipher is not None else str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None or not is_encrypted(value):
            return value  # type: ignore[no-any-return]
        cipher = field_cipher()
        if cipher is None:
            raise RuntimeError("an encrypted column was read but no key ring is installed (infra/bootstrap.py)")
        return cipher.decrypt(value, context=self.context)


def normalise_email(value: str) -> str:
    """How an email is compared: case and surrounding blanks do not make another address."""
    return value.strip().lower()


class IndexedEncryptedString(EncryptedString):
    """An encrypted column whose equality is its blind index: `User.email == x` compiles to
    `users.email_index = HMAC(normalise(x))`, so no lookup ever compares ciphertext (which would
    silently never match, every encryption having its own nonce). Only `==`, `!=` and `IN` are
    meaningful; anything else (LIKE, lower(), ordering) raises instead of quietly failing."""

    cache_ok = True

    def __init__(self, context: str, *, index: str, normalise: Callable[[str], str],
                 length: int = ENCRYPTED_LENGTH) -> None:
        super().__init__(context, length)
        self.index = index
        self.normalise = normalise

    def index_of(self, value: str | None) -> str | None:
        return None if value is None else blind_index(self.normalise(value))

    class comparator_factory(TypeDecorator.Comparator[str]):
        def operate(self, op: Any, *other: Any, **kwargs: Any) -> ColumnElement[Any]:
            column_type: IndexedEncryptedString = self.type  # type: ignore[assignment]
            index_column = self.expr.table.c[column_type.index]  # type: ignore[attr-defined]
            if op in (operators.eq, operators.ne):
                return op(index_column, column_type.index_of(other[0]))  # type: ignore[no-any-return]
            if op in (operators.in_op, operators.not_in_op):
                return op(index_column, [column_type.index_of(v) for v in other[0]])  # type: ignore[no-any-return]
            if op in (operators.is_, operators.is_not):
                return super().operate(op, *other, **kwargs)
            raise TypeError(f"{column_type.context} is encrypted: compare it only with ==, != or in_()")


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON document encrypted at rest (stored idempotent responses quote what people typed)."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        document = json.dumps(value, ensure_ascii=False, default=str)
        cipher = field_cipher()
        return cipher.encrypt(document, context=self.context) if cipher is not None else document

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, str):  # a JSON column read before the migration
            return value
        if is_encrypted(value):
            cipher = field_cipher()
            if cipher is None:
                raise RuntimeError("an encrypted column was read but no key ring is installed (infra/bootstrap.py)")
            value = cipher.decrypt(value, context=self.context)
        return json.loads(value)


def fill_blind_indexes(_mapper: object, _connection: object, target: Any) -> None:
    """A before_insert/before_update listener: every `IndexedEncryptedString` column's index follows its value."""
    for column in target.__table__.columns:
        if isinstance(column.type, IndexedEncryptedString):
            setattr(target, column.type.index, column.type.index_of(getattr(target, column.key)))


def identity(value: str) -> str:
    """For values stored already normalised (WhatsApp ids: digits only)."""
    return value


def stored(column: Any) -> ColumnElement[str]:
    """The column as stored (ciphertext, no decryption or encryption of the other side): how a
    compare-and-swap checks that a value did not change since it was read."""
    return type_coerce(column, String())


def email_index(value: str) -> str:
    """The blind index an email is looked up by (`users.email_index`): raw SQL compares this."""
    return blind_index(normalise_email(value)) or ""
