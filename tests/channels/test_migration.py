"""Migration 0004 goes down and up again on SQLite and PostgreSQL, and matches the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import commerce.identity.channels  # noqa: F401  (registers channel_sessions until infra.migrate imports it)
from infra import migrate
from infra.bootstrap import Platform


def test_0004_downgrades_and_upgrades(platform: Platform) -> None:
    migrate.downgrade(platform.engine, "0003")
    assert not inspect(platform.engine).has_table("channel_sessions")
    migrate.upgrade(platform.engine)
    columns = {c["name"] for c in inspect(platform.engine).get_columns("buyer_notifications")}
    assert {"attempts", "next_attempt_at", "sent_at", "channel", "last_error"} <= columns


def test_channel_tables_match_the_models(platform: Platform) -> None:
    with platform.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), migrate.target_metadata())
    mine = [d for d in diff if any(name in str(d) for name in ("channel_sessions", "buyer_notifications"))]
    assert mine == []
