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


def test_0015_round_trips_and_matches_the_models(platform: Platform) -> None:
    """Down to clear values and up again, with orders pointing at the recreated buyers (SQLite)."""
    with platform.engine.connect() as connection:
        before = connection.exec_driver_sql("SELECT count(*) FROM orders").scalar_one()
    migrate.downgrade(platform.engine, "0014")
    assert not any(c["name"] == "cedula_index" for c in inspect(platform.engine).get_columns("buyers"))
    migrate.upgrade(platform.engine)
    with platform.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), migrate.target_metadata())
        assert connection.exec_driver_sql("SELECT count(*) FROM orders").scalar_one() == before
        assert connection.exec_driver_sql("SELECT count(*) FROM consent_records").scalar_one() > 0
    # SQLite keeps buyers' and users' declared lengths (see the migration): compared on PostgreSQL.
    postgres = platform.engine.dialect.name == "postgresql"
    tables = ("channel_sessions", "support_tickets", "idempotency_keys") + (("buyers", "users") if postgres else ())
    assert [d for d in diff if any(name in str(d) for name in tables)] == []


def test_0017_encrypts_the_sellers_contact_emails_and_matches_the_models(platform: Platform) -> None:
    from commerce.marketplace.models import Seller

    def stored() -> dict[str, str]:
        with platform.engine.connect() as connection:
            return dict(connection.exec_driver_sql("SELECT id, contact_email FROM sellers").all())

    with platform.session_factory() as session:
        clear = {s.id: s.contact_email for s in session.query(Seller)}
    assert clear and all("@" in v for v in clear.values())
    assert all(v.startswith("enc:v1:") for v in stored().values())
    migrate.downgrade(platform.engine, "0016")
    assert stored() == clear
    migrate.upgrade(platform.engine)
    at_rest = stored()
    assert set(at_rest) == set(clear) and not any(v in str(at_rest) for v in clear.values())
    with platform.session_factory() as session:
        assert {s.id: s.contact_email for s in session.query(Seller)} == clear
    with platform.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), migrate.target_metadata())
    # SQLite keeps the declared length (see the migration): compared on PostgreSQL.
    if platform.engine.dialect.name == "postgresql":
        assert [d for d in diff if "sellers" in str(d)] == []
