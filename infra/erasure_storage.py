"""The storage side of an erasure: scrub the files a deleted value may still sit in.

Deleting a row is not enough for "no trace". SQLite keeps the old page images in the
write-ahead log until a checkpoint, and a deleted cell stays in a free page until it is reused.
Every connection therefore runs with `secure_delete` (deleted content is overwritten with
zeros, infra/db.py and infra/checkpoints.py), and after an erasure commits we VACUUM, checkpoint
the WAL and truncate it. PostgreSQL: VACUUM the touched tables (dead tuples pruned); its WAL
segments are recycled by the server, which is why personal columns are encrypted at rest.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, text

from infra.settings import ChromaMode, Settings

log = logging.getLogger(__name__)

M_PERTURB = -6  # glibc mallopt(3): fill memory given by malloc and returned to free with a fixed byte
_PERTURB_BYTE = 0x55


def clear_heap_memory_on_reuse() -> bool:
    """Make the C heap of this process never hand out, nor keep, old contents (glibc's M_PERTURB).

    The embedded Chroma store lives in this process, and its HNSW index files are written with their whole
    preallocated capacity: the unused slots are memory fresh from malloc, and a reused heap chunk can hold
    whatever an earlier request had there (a buyer's cédula was found in `data_level0.bin` this way). With
    M_PERTURB, malloc fills what it hands out and free fills what it takes back, so such a file holds filler
    bytes instead. Costs a memset per C allocation (Python's small objects do not use malloc). False where
    the C library is not glibc (nothing changes there). glibc reads MALLOC_PERTURB_ at start for the same
    effect; this call covers processes started without it."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        return bool(libc.mallopt(M_PERTURB, _PERTURB_BYTE))
    except (OSError, AttributeError):
        log.info("mallopt(M_PERTURB) not available: the embedded vector store's files may hold heap remnants")
        return False

# Tables an erasure changes (PostgreSQL VACUUMs them afterwards).
ERASED_TABLES = ("users", "buyers", "support_tickets", "channel_sessions", "buyer_notifications",
                 "idempotency_keys", "llm_routing_logs", "refresh_tokens", "carts", "cart_lines")
CHECKPOINT_TABLES = ("checkpoints", "checkpoint_blobs", "checkpoint_writes")


def truncate_wal(conn: sqlite3.Connection, *, attempts: int = 50) -> bool:
    """Copy the WAL into the database and truncate it to zero bytes; True when it succeeded.

    A reader in the middle of a transaction holds old frames: retry for a few seconds."""
    for _ in range(attempts):
        busy, _log_frames, _done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy == 0:
            return True
        time.sleep(0.05)
    log.warning("erasure: the write-ahead log could not be truncated (a reader kept it busy)")
    return False


def scrub_sqlite_file(path: Path, *, vacuum: bool = True) -> None:
    """VACUUM (rebuild without free pages) and truncate the WAL of the SQLite file at `path`."""
    if not path.exists():
        return
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        conn.execute("PRAGMA secure_delete=ON")
        if vacuum:
            conn.execute("VACUUM")
        truncate_wal(conn)
    finally:
        conn.close()


def sqlite_path(database_url: str) -> Path | None:
    path = database_url.removeprefix("sqlite:///")
    return None if path in ("", ":memory:") or path == database_url else Path(path)


def storage_compactor(settings: Settings, engine: Engine) -> Callable[[], None]:
    """What runs after an erasure commits: scrub the database (and the vector store's SQLite file)."""

    def compact() -> None:
        path = sqlite_path(settings.database_url)
        if path is not None:
            scrub_sqlite_file(path)
        else:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for table in ERASED_TABLES:
                    conn.execute(text(f"VACUUM {table}"))
        chroma_file = settings.chroma_path / "chroma.sqlite3"
        if settings.chroma_mode == ChromaMode.EMBEDDED and chroma_file.exists():
            scrub_sqlite_file(chroma_file)

    return compact


def vector_eraser(settings: Settings) -> Callable[[list[str]], int]:
    """Deletes every Chroma document (any collection) whose text contains one of the identifiers."""

    def forget(identifiers: list[str]) -> int:
        if not identifiers or (settings.chroma_mode == ChromaMode.EMBEDDED and not settings.chroma_path.exists()):
            return 0
        from knowledge import open_client

        client = (open_client(url=settings.chroma_url) if settings.chroma_mode == ChromaMode.HTTP
                  else open_client(path=settings.chroma_path))
        removed: list[str] = []
        for listed in client.list_collections():
            collection = client.get_collection(listed.name)
            for identifier in identifiers:
                ids = collection.get(where_document={"$contains": identifier}, include=[])["ids"]
                if ids:
                    collection.delete(ids=ids)
                    removed += ids
        if removed and settings.chroma_mode == ChromaMode.EMBEDDED:
            blank_chroma_log(settings.chroma_path / "chroma.sqlite3", removed)
        return len(removed)

    return forget


def blank_chroma_log(path: Path, ids: list[str]) -> None:
    """Drop the document text from Chroma's own write-ahead log (`embeddings_queue`) for deleted ids.

    Chroma keeps every add in that table until its segments compact it, document included. The add
    rows stay (a replay after a crash still meets the delete that follows them), without their text."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        conn.execute("PRAGMA secure_delete=ON")
        marks = ",".join("?" for _ in ids)
        conn.execute(f"UPDATE embeddings_queue SET metadata = NULL WHERE id IN ({marks})", ids)
    finally:
        conn.close()
