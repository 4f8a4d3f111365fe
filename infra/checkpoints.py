"""LangGraph checkpointers: SQLite file (embedded) or PostgreSQL (production).

A restarted server opens the same store, so no conversation is lost."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver

from infra.crypto import KeyRing, checkpoint_serializer
from infra.erasure_storage import CHECKPOINT_TABLES, scrub_sqlite_file
from infra.settings import Settings

# The advisory lock key that serialises the checkpoint tables' setup across processes (any fixed 64-bit number).
CHECKPOINT_SETUP_LOCK = 0x4D45_5354_434B_5031  # "MESTCKP1"
SETUP_WAIT_SECONDS = 120.0


def libpq_url(database_url: str) -> str:
    """SQLAlchemy's `postgresql+psycopg://` URL as psycopg itself wants it."""
    return database_url.replace("postgresql+psycopg://", "postgresql://", 1)


def open_checkpointer(settings: Settings) -> tuple[BaseCheckpointSaver[Any], Callable[[], None]]:
    """The checkpointer for `settings` and the function that closes it."""
    if settings.is_sqlite:
        from langgraph.checkpoint.sqlite import SqliteSaver

        settings.data_dir.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(settings.checkpoints_path, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        # A deleted thread's content is overwritten, not left in a free page (erasure, infra/erasure_storage.py).
        conn.execute("PRAGMA secure_delete=ON")
        saver = SqliteSaver(conn, serde=checkpoint_serializer(KeyRing(settings)))
        saver.setup()
        return saver, conn.close
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg.rows import dict_row
    from psycopg_pool import ConnectionPool

    pool: ConnectionPool[Any] = ConnectionPool(
        libpq_url(settings.database_url), min_size=1, max_size=max(2, settings.database_pool_size // 2), open=True,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
    )
    serde = checkpoint_serializer(KeyRing(settings))
    with pool.connection() as conn:
        # Several processes start at once (`serve --workers N`, pods of a deployment): LangGraph's setup() is
        # not safe to run concurrently (two processes insert the same `checkpoint_migrations` row and one fails
        # its startup), so it runs under a PostgreSQL advisory lock, one process after the other.
        # Polled with pg_try_advisory_lock, not waited for in pg_advisory_lock: the migrations build indexes
        # CONCURRENTLY, which waits for every open statement, a blocked pg_advisory_lock included (a deadlock).
        deadline = time.monotonic() + SETUP_WAIT_SECONDS
        taken = "SELECT pg_try_advisory_lock(%s) AS taken"
        while not (conn.execute(taken, (CHECKPOINT_SETUP_LOCK,)).fetchone() or {}).get("taken"):
            if time.monotonic() > deadline:
                raise TimeoutError("another process has been setting up the checkpoint tables for too long")
            time.sleep(0.2)
        try:
            PostgresSaver(conn, serde=serde).setup()  # type: ignore[arg-type]
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (CHECKPOINT_SETUP_LOCK,))
    return PostgresSaver(pool, serde=serde), pool.close  # type: ignore[arg-type]


def forget_conversations(settings: Settings, user_id: int) -> int:
    """Delete a user's conversations from the persistent store (an erasure request); return how many.

    It opens the store for the erasure alone: the process that erases need not be chatting. Then
    the store's files are scrubbed: SQLite's WAL truncated and the file vacuumed, PostgreSQL's
    checkpoint tables vacuumed, so the conversation is not left in a log or a free page."""
    from agents.threads import forget_owner

    saver, close = open_checkpointer(settings)
    try:
        forgotten = forget_owner(saver, user_id)
    finally:
        close()
    if settings.is_sqlite:
        scrub_sqlite_file(settings.checkpoints_path)
    elif forgotten:
        import psycopg

        with psycopg.connect(libpq_url(settings.database_url), autocommit=True) as conn:
            for table in CHECKPOINT_TABLES:
                conn.execute(f"VACUUM {table}")  # type: ignore[arg-type]
    return forgotten


def export_conversations(settings: Settings, user_id: int) -> list[dict[str, Any]]:
    """A user's conversations (thread id and visible messages) from the persistent store, for an export."""
    from agents.threads import owner_transcripts

    saver, close = open_checkpointer(settings)
    try:
        return owner_transcripts(saver, user_id)
    finally:
        close()
