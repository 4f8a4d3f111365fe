"""SQLAlchemy engines and sessions for SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

# Read-only units of work on SQLite begin DEFERRED so that readers never queue behind writers.
SQLITE_BEGIN_OPTION = "mestocker_sqlite_begin"


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """Build the engine. SQLite: WAL, foreign keys, and BEGIN IMMEDIATE for write transactions."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size * 2, pool_pre_ping=True,
                         pool_timeout=30)


def _sqlite_engine(url: str) -> Engine:
    path = url.removeprefix("sqlite:///")
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, pool_size=8,
                           max_overflow=16)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        # Take transaction control from the driver so we can say BEGIN IMMEDIATE ourselves.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Deleted and overwritten values are zeroed in the file, not left in free space (erasure).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get(SQLITE_BEGIN_OPTION, "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def make_session_factory(engine: Engine, *, readonly: bool = False) -> sessionmaker[Session]:
    """Sessions bound to `engine`; read-only ones begin DEFERRED on SQLite and run without a transaction
    (autocommit) on PostgreSQL: at READ COMMITTED every statement takes its own snapshot anyway, so BEGIN and
    ROLLBACK around a read bought no consistency and cost two round trips per read."""
    if not readonly:
        return sessionmaker(bind=engine, expire_on_commit=False)
    if engine.dialect.name == "postgresql":
        return sessionmaker(bind=engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False)
    return sessionmaker(bind=engine.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"}), expire_on_commit=False)
