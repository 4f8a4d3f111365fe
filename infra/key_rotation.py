"""`mestocker keys rotate`: a new active key, then every encrypted value re-encrypted in batches.

The platform keeps serving: each batch is its own short transaction, an UPDATE only replaces the
value it read (a row the application changed meanwhile was written with the new key anyway, since
serving processes pick up the new active key within seconds), and old keys stay in the ring, so a
value not yet re-encrypted still reads. The pass repeats until no value names an old key.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine, Table, text

from commerce.shared.field_crypto import PREFIX, EncryptedString, is_encrypted
from infra.crypto import RELOAD_EVERY_S, KeyRing, key_file, load_raw, new_key_id, write_key_file
from infra.settings import Settings

Progress = Callable[[str, int], None]  # (table.column, values re-encrypted so far)


@dataclass
class RotationReport:
    old_keys: list[str]
    new_key: str
    reencrypted: dict[str, int] = field(default_factory=dict)
    left_on_old_keys: int = 0


def encrypted_columns() -> Iterator[tuple[Table, str, str]]:
    """(table, column, context) of every EncryptedString column of the models."""
    import commerce.registry  # noqa: F401  (registers every table)
    from commerce.shared.orm import Base

    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EncryptedString):
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


def reencrypt_batch(engine: Engine, ring: KeyRing, table: Table, column: str, context: str, batch: int) -> int:
    """Re-encrypt up to `batch` values of one column that are clear or on an old key; return how many."""
    pk = [c.name for c in table.primary_key.columns]
    current = f"{PREFIX}{ring.active_key_id}:%"
    where = " AND ".join(f"{c} = :pk_{c}" for c in pk)
    with engine.begin() as conn:
        rows = conn.execute(text(f"SELECT {', '.join(pk)}, {column} AS value FROM {table.name} "
                                 f"WHERE {column} IS NOT NULL AND {column} NOT LIKE :current LIMIT :n"),
                            {"current": current, "n": batch}).mappings().all()
        for row in rows:
            value = row["value"]
            clear = ring.decrypt(value, context=context) if is_encrypted(value) else value
            conn.execute(text(f"UPDATE {table.name} SET {column} = :new WHERE {where} AND {column} = :old"),
                         {"new": ring.encrypt(clear, context=context), "old": value,
                          **{f"pk_{c}": row[c] for c in pk}})
    return len(rows)


def reencrypt_all(engine: Engine, ring: KeyRing, *, batch: int = 200, pause_s: float = 0.0,
                  progress: Progress | None = None) -> dict[str, int]:
    """Re-encrypt every encrypted column onto the active key, batch by batch."""
    done: dict[str, int] = {}
    for table, column, context in encrypted_columns():
        name = f"{table.name}.{column}"
        done[name] = 0
        while (n := reencrypt_batch(engine, ring, table, column, context, batch)) > 0:
            done[name] += n
            if progress is not None:
                progress(name, done[name])
            if pause_s:
                time.sleep(pause_s)  # let the serving processes' writers in between batches
    return done


def left_on_old_keys(engine: Engine, ring: KeyRing) -> int:
    """How many encrypted-column values are not on the active key (clear ones included)."""
    current = f"{PREFIX}{ring.active_key_id}:%"
    total = 0
    with engine.connect() as conn:
        for table, column, _context in encrypted_columns():
            total += int(conn.execute(text(f"SELECT count(*) FROM {table.name} WHERE {column} IS NOT NULL "
                                           f"AND {column} NOT LIKE :current"), {"current": current}).scalar_one())
    return total


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
        for name, n in reencrypt_all(engine, ring, batch=batch, pause_s=pause_s, progress=progress).items():
            report.reencrypted[name] = report.reencrypted.get(name, 0) + n
        report.left_on_old_keys = left_on_old_keys(engine, ring)
        if report.left_on_old_keys == 0:
            break
    return report

