"""LangGraph checkpointers: SQLite file (embedded) or PostgreSQL (production).

A restarted server opens the same store, so no conversation is lost."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver

from infra.crypto import KeyRing, checkpoint_serializer
from infra.erasure_storage import CHECKPOINT_TABLES, scrub_sqlite_file
from infra.settings import Settings


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
    pg_saver = PostgresSaver(pool, serde=checkpoint_serializer(KeyRing(settings)))  # type: ignore[arg-type]
    pg_saver.setup()
    return pg_saver, pool.close


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
