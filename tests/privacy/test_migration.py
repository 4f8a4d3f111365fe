"""Migration 0014 goes down and up again on SQLite and PostgreSQL, and matches the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import commerce.registry  # noqa: F401  (registers every table)
from infra import migrate
from infra.bootstrap import Platform

TABLES = ("privacy_requests", "audit_log", "consent_records")


def test_0014_downgrades_upgrades_and_matches_the_models(platform: Platform) -> None:
    migrate.downgrade(platform.engine, "0010")
    assert not inspect(platform.engine).has_table("audit_log")
    migrate.upgrade(platform.engine)
    assert inspect(platform.engine).has_table("audit_log")
    with platform.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), migrate.target_metadata())
    assert [d for d in diff if any(name in str(d) for name in TABLES)] == []
