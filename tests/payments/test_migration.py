"""Migration 0013: the payment intent columns and the notification log match the models, down and up again."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from infra import migrate
from infra.bootstrap import Platform


def test_payment_tables_match_the_models(platform: Platform) -> None:
    with platform.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), migrate.target_metadata())
    mine = [d for d in diff if any(name in str(d) for name in ("'payments'", "payment_notifications"))]
    assert mine == []


DECLINED_SEED = text("SELECT status FROM payments WHERE id = 'PAY-ORD-1005-1'")


def test_0013_downgrades_and_upgrades_keeping_the_payments(platform: Platform) -> None:
    migrate.downgrade(platform.engine, "0010")
    assert not inspect(platform.engine).has_table("payment_notifications")
    with platform.engine.connect() as connection:
        assert connection.execute(DECLINED_SEED).scalar() == "rejected"
    migrate.upgrade(platform.engine)
    with platform.engine.connect() as connection:
        assert connection.execute(DECLINED_SEED).scalar() == "declined"
    columns = {c["name"] for c in inspect(platform.engine).get_columns("payments")}
    assert {"method", "idempotency_key", "decided_at"} <= columns
