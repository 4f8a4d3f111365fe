"""`mestocker keys rotate`: a new active key, then every encrypted value re-encrypted in batches.

What is re-encrypted (docs/data-protection.md, "Rotation"):

- every `EncryptedString` and `EncryptedJSON` column of the models (`enc:v1:<key id>:…` text);
- the LangGraph checkpoint store: the serialized values `EncryptedSerializer` wrote with our
  `CheckpointCipher`, whose key id is in the row's `type` (`msgpack+aesgcm.<key id>`). SQLite
  (embedded, `settings.checkpoints_path`): `checkpoints.checkpoint` and `writes.value`;
  PostgreSQL (same database): `checkpoint_blobs.blob` and `checkpoint_writes.blob` (the
  `checkpoints` table there holds JSONB that the serializer never sees: nothing to rotate).

The platform keeps serving: each batch reads its values in one short read transaction, computes
the new ciphertexts outside any transaction, then writes them in a short transaction of its own
with a compare-and-swap (`UPDATE … WHERE <key> AND value = :old`): a value the application wrote
meanwhile is never replaced by the stale one read before (it was written with the new key anyway,
since serving processes pick up the new active key within seconds). Old keys stay in the ring, so
a value not yet re-encrypted still reads. The pass repeats until no value names an old key.
The blind-index key does not rotate.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

from sqlalchemy import Engine, Table, inspect, text

from commerce.shared.field_crypto import PREFIX, EncryptedJSON, EncryptedString, is_encrypted
from infra.crypto import RELOAD_EVERY_S, CheckpointCipher, KeyRing, key_file, load_raw, new_key_id, write_key_file
from infra.db import SQLITE_BEGIN_OPTION, make_engine
from infra.settings import Settings

Progress = Callable[[str, int], None]  # (store name, values re-encrypted so far)

DATABASE = "database"
CHECKPOINTS = "checkpoints"


@dataclass(frozen=True)
class CheckpointTable:
    """A checkpoint-store table whose rows hold a serialized value: its key, the value's column, and `type`
    (the serializer's type tag, `<type>+aesgcm.<key id>` once encrypted)."""

    name: str
    key: tuple[str, ...]
    value: str


SQLITE_CHECKPOINT_TABLES = (
    CheckpointTable("checkpoints", ("thread_id", "checkpoint_ns", "checkpoint_id"), "checkpoint"),
    CheckpointTable("writes", ("thread_id", "checkpoint_ns", "checkpoint_id", "task_id", "idx"), "value"),
)
POSTGRES_CHECKPOINT_TABLES = (
    CheckpointTable("checkpoint_blobs", ("thread_id", "checkpoint_ns", "channel", "version"), "blob"),
    CheckpointTable("checkpoint_writes", ("thread_id", "checkpoint_ns", "checkpoint_id", "task_id", "idx"), "blob"),
)


@dataclass
class RotationReport:
    old_keys: list[str]
    new_key: str
    reencrypted: dict[str, int] = field(default_factory=dict)  # "table.column" / "checkpoints:table" → values
    left_on_old_keys: int = 0
    left_by_store: dict[str, dict[str, int]] = field(default_factory=dict)


def encrypted_columns() -> Iterator[tuple[Table, str, str]]:
    """(table, column, context) of every encrypted column of the models: `EncryptedString` (and its indexed
    variant) and `EncryptedJSON`, both stored as `enc:v1:<key id>:…` text."""
    import commerce.registry  # noqa: F401  (registers every table)
    from commerce.shared.orm import Base

    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EncryptedString | EncryptedJSON):
                yield table, column.name, column.type.context


def add_active_key(settings: Settings) -> str:
    """Append a new key to the key file and make it active; return its id (env-provided keys cannot rotate)."""
    if settings.encryption_keys:
        raise ValueError("MESTOCKER_ENCRYPTION_KEYS comes from the environment: add the new key there "
                         "(or use MESTOCKER_ENCRYPTION_KEY_FILE) and run `mestocker keys rotate --reencrypt-only`")
    import base64
    import secrets

    raw = load_raw(settings, create=False)
    now = datetime.now(UTC)
    key_id = new_key_id(now)
    raw["keys"].append({"id": key_id, "key": base64.b64encode(secrets.token_bytes(32)).decode(),
                        "created_at": now.isoformat()})
    raw["active"] = key_id
    write_key_file(key_file(settings), raw)
    return key_id


def _reader(engine: Engine) -> Engine:
    """The engine for a batch's read: on SQLite a DEFERRED transaction, so it never queues behind writers."""
    return engine.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})


def _key_match(key: tuple[str, ...] | list[str]) -> str:
    return " AND ".join(f"{c} = :pk_{c}" for c in key)


# ---- encrypted columns (`enc:v1:<key id>:…`) ----------------------------------------------------------


def _stale_column(column: str) -> str:
    return f"{column} IS NOT NULL AND {column} NOT LIKE :current"


def reencrypt_batch(engine: Engine, ring: KeyRing, table: Table, column: str, context: str,
                    batch: int) -> tuple[int, int]:
    """Re-encrypt up to `batch` values of one column that are clear or on an old key.

    Returns (values read, values replaced): a value changed since it was read is left to its writer."""
    pk = [c.name for c in table.primary_key.columns]
    current = f"{PREFIX}{ring.active_key_id}:%"
    with _reader(engine).connect() as conn:
        rows = conn.execute(text(f"SELECT {', '.join(pk)}, {column} AS value FROM {table.name} "
                                 f"WHERE {_stale_column(column)} LIMIT :n"),
                            {"current": current, "n": batch}).mappings().all()
    if not rows:
        return 0, 0
    updates = []
    for row in rows:
        value = row["value"]
        clear = ring.decrypt(value, context=context) if is_encrypted(value) else value
        updates.append({"new": ring.encrypt(clear, context=context), "old": value,
                        **{f"pk_{c}": row[c] for c in pk}})
    replaced = 0
    with engine.begin() as conn:
        statement = text(f"UPDATE {table.name} SET {column} = :new WHERE {_key_match(pk)} AND {column} = :old")
        for update in updates:
            replaced += conn.execute(statement, update).rowcount
    return len(rows), replaced


# ---- checkpoint store (`<type>+aesgcm.<key id>` in `type`) -------------------------------------------

CIPHER_PREFIX = "aesgcm."


def _stale_checkpoint(table: CheckpointTable) -> str:
    # 'empty' marks a channel with no value (NULL blob): nothing to encrypt.
    return f"{table.value} IS NOT NULL AND type IS NOT NULL AND type <> 'empty' AND type NOT LIKE :current"


def _checkpoint_current(ring: KeyRing) -> str:
    return f"%+{CIPHER_PREFIX}{ring.active_key_id}"


def _serialized(cipher: CheckpointCipher, type_: str, blob: bytes) -> tuple[str, bytes]:
    """The serializer's own type tag and bytes of a stored value (decrypted when it names a cipher)."""
    if "+" not in type_:
        return type_, blob  # written before encryption
    typ, ciphername = type_.split("+", 1)
    return typ, cipher.decrypt(ciphername, blob)


def reencrypt_checkpoint_batch(engine: Engine, ring: KeyRing, table: CheckpointTable,
                               batch: int) -> tuple[int, int]:
    """Re-encrypt up to `batch` checkpoint values that are clear or on an old key; (read, replaced)."""
    cipher = CheckpointCipher(ring)
    key = ", ".join(table.key)
    with _reader(engine).connect() as conn:
        rows = conn.execute(text(f"SELECT {key}, type, {table.value} AS value FROM {table.name} "
                                 f"WHERE {_stale_checkpoint(table)} LIMIT :n"),
                            {"current": _checkpoint_current(ring), "n": batch}).mappings().all()
    if not rows:
        return 0, 0
    updates = []
    for row in rows:
        old = bytes(row["value"])
        typ, data = _serialized(cipher, row["type"], old)
        ciphername, blob = cipher.encrypt(data)
        updates.append({"new_type": f"{typ}+{ciphername}", "new": blob, "old_type": row["type"], "old": old,
                        **{f"pk_{c}": row[c] for c in table.key}})
    replaced = 0
    with engine.begin() as conn:
        statement = text(f"UPDATE {table.name} SET type = :new_type, {table.value} = :new "
                         f"WHERE {_key_match(table.key)} AND type = :old_type AND {table.value} = :old")
        for update in updates:
            replaced += conn.execute(statement, update).rowcount
    return len(rows), replaced


@contextmanager
def checkpoint_store(settings: Settings, engine: Engine) -> Iterator[tuple[Engine, list[CheckpointTable]]]:
    """The checkpoint store's engine and its tables that exist: the SQLite file of the data directory
    (embedded) or the application's PostgreSQL database (where PostgresSaver creates its tables)."""
    if settings.is_sqlite:
        path = settings.checkpoints_path
        if not path.exists():
            yield engine, []
            return
        store = make_engine(f"sqlite:///{path}", pool_size=2)
        try:
            present = set(inspect(store).get_table_names())
            yield store, [t for t in SQLITE_CHECKPOINT_TABLES if t.name in present]
        finally:
            store.dispose()
        return
    present = set(inspect(engine).get_table_names())
    yield engine, [t for t in POSTGRES_CHECKPOINT_TABLES if t.name in present]


# ---- passes and counts ---------------------------------------------------------------------------------


def _drain(step: Callable[[], tuple[int, int]], name: str, done: dict[str, int], pause_s: float,
           progress: Progress | None) -> None:
    done.setdefault(name, 0)
    while True:
        read, replaced = step()
        if read == 0:
            return
        done[name] += replaced
        if progress is not None:
            progress(name, done[name])
        if pause_s:
            time.sleep(pause_s)  # let the serving processes' writers in between batches


def reencrypt_all(engine: Engine, ring: KeyRing, *, settings: Settings | None = None, batch: int = 200,
                  pause_s: float = 0.0, progress: Progress | None = None) -> dict[str, int]:
    """Re-encrypt every encrypted column and every checkpoint value onto the active key, batch by batch."""
    done: dict[str, int] = {}
    for table, column, context in encrypted_columns():
        _drain(partial(reencrypt_batch, engine, ring, table, column, context, batch),
               f"{table.name}.{column}", done, pause_s, progress)
    with checkpoint_store(settings or ring.settings, engine) as (store, tables):
        for cp in tables:
            _drain(partial(reencrypt_checkpoint_batch, store, ring, cp, batch),
                   f"{CHECKPOINTS}:{cp.name}", done, pause_s, progress)
    return done


def left_by_store(engine: Engine, ring: KeyRing, settings: Settings | None = None) -> dict[str, dict[str, int]]:
    """Values not on the active key (clear ones included), per store and per column / checkpoint table."""
    left: dict[str, dict[str, int]] = {DATABASE: {}, CHECKPOINTS: {}}
    current = f"{PREFIX}{ring.active_key_id}:%"
    with _reader(engine).connect() as conn:
        for table, column, _context in encrypted_columns():
            left[DATABASE][f"{table.name}.{column}"] = int(conn.execute(
                text(f"SELECT count(*) FROM {table.name} WHERE {_stale_column(column)}"),
                {"current": current}).scalar_one())
    with checkpoint_store(settings or ring.settings, engine) as (store, tables), _reader(store).connect() as conn:
        for cp in tables:
            left[CHECKPOINTS][cp.name] = int(conn.execute(
                text(f"SELECT count(*) FROM {cp.name} WHERE {_stale_checkpoint(cp)}"),
                {"current": _checkpoint_current(ring)}).scalar_one())
    return left


def left_on_old_keys(engine: Engine, ring: KeyRing, settings: Settings | None = None) -> int:
    """How many values (encrypted columns and checkpoint values) are not on the active key, clear ones included."""
    return sum(n for counts in left_by_store(engine, ring, settings).values() for n in counts.values())


def rotate(settings: Settings, engine: Engine, ring: KeyRing, *, batch: int = 200, new_key: bool = True,
           pause_s: float = 0.0, progress: Progress | None = None) -> RotationReport:
    """Add a key (unless `new_key` is off), wait until serving processes can know it, re-encrypt everything."""
    old = sorted(ring.key_ids)
    key_id = add_active_key(settings) if new_key else ring.active_key_id
    ring.reload()
    if new_key:
        time.sleep(RELOAD_EVERY_S + 0.5)  # other processes re-read the key file every RELOAD_EVERY_S
    report = RotationReport(old_keys=[k for k in old if k != key_id], new_key=key_id)
    for _ in range(3):  # a value written with the old key during the first pass is caught by the next
        for name, n in reencrypt_all(engine, ring, settings=settings, batch=batch, pause_s=pause_s,
                                     progress=progress).items():
            report.reencrypted[name] = report.reencrypted.get(name, 0) + n
        report.left_by_store = left_by_store(engine, ring, settings)
        report.left_on_old_keys = sum(n for counts in report.left_by_store.values() for n in counts.values())
        if report.left_on_old_keys == 0:
            break
    return report
