"""SQLAlchemy engines and sessions for SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

# Read-only units of work on SQLite begin DEFERRED so that readers never queue behind writers.
SQLITE_BEGIN_OPTION = "mestocker_sqlite_begin"


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """Build the engine. SQLite: WAL, foreign keys, and BEGIN IMMEDIATE for write transactions."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size * 2, pool_timeout=30)
    _ping_when_idle(engine)
    return engine


# A pooled connection idle longer than this is pinged before use; one used a moment ago is not.
PING_IDLE_AFTER_S = 1.0


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's `pool_pre_ping`, but only for connections that sat idle: the ping is a round trip, and
    under load a checkout hands back a connection used milliseconds before (an order made two checkouts, so
    two of its round trips were pings). If the server went away within that second, the one request that
    meets a dead connection fails (a 500 problem response; its transaction never committed) and SQLAlchemy
    recycles the pool's other connections, so the next request gets a fresh one."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        last = record.info.get("checked_in_at")
        if last is None or time.monotonic() - last < PING_IDLE_AFTER_S:
            return  # just connected, or used a moment ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # the pool discards this connection and checks out another
            raise DisconnectionError("the pooled connection did not answer its ping") from exc


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
