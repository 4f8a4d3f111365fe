"""Migration 0007 goes down and up again on SQLite and PostgreSQL, and matches the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import commerce.fulfillment.reorder  # noqa: F401  (registers the reorder tables)
from infra import migrate
from infra.bootstrap import Platform

TABLES = ("reorder_settings", "reorder_cycles", "reorder_proposals")


def test_0007_downgrades_and_upgrades(platform: Platform) -> None:
    migrate.downgrade(platform.engine, "0005")
    assert not any(inspect(platform.engine).has_table(t) for t in TABLES)
    migrate.upgrade(platform.engine)
    assert all(inspect(platform.engine).has_table(t) for t in TABLES)


def test_reorder_tables_match_the_models(platform: Platform) -> None:
    with platform.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), migrate.target_metadata())
    mine = [d for d in diff if any(name in str(d) for name in TABLES)]
    assert mine == []
