"""Pooled PostgreSQL connections are pinged only after sitting idle (infra/db.py): a connection the server
dropped meanwhile is replaced before use, and a busy pool pays no ping."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from infra import db

pytestmark = pytest.mark.postgres


def _backend_pid(engine: object) -> int:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_an_idle_connection_the_server_dropped_is_replaced_before_use(postgres_url: str,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    engine = db.make_engine(postgres_url, pool_size=1)
    other = db.make_engine(postgres_url, pool_size=1)
    try:
        dropped = _backend_pid(engine)
        with other.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped})
            conn.commit()
        monkeypatch.setattr(db, "PING_IDLE_AFTER_S", 0.0)  # the pooled connection counts as idle
        assert _backend_pid(engine) != dropped  # no error: the ping failed and the pool connected anew
    finally:
        engine.dispose()
        other.dispose()


def test_a_connection_used_a_moment_ago_is_not_pinged(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = db.make_engine(postgres_url, pool_size=1)
    pings: list[object] = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: pings.append(conn) or real_ping(conn))
    try:
        for _ in range(5):
            _backend_pid(engine)
        assert pings == []
        monkeypatch.setattr(db, "PING_IDLE_AFTER_S", 0.0)
        _backend_pid(engine)
        assert len(pings) == 1
    finally:
        engine.dispose()
