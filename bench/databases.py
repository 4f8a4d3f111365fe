"""Fresh, migrated and seeded databases to benchmark against: a SQLite file, a throwaway PostgreSQL."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from commerce.fulfillment.commands import AdjustStock
from commerce.identity.principal import SYSTEM
from infra.bootstrap import Platform, bootstrap
from infra.seed.world import seed_demo_world
from infra.settings import Settings

# What the workloads consume: orders take CAF-004, reservations TEC-552, both at BOG.
ORDER_SKU = "CAF-004"
RESERVE_SKU = "TEC-552"
WAREHOUSE = "BOG"
# Far more units than any run can order or reserve, so no workload ever meets OutOfStock.
STOCK_TOP_UP = 1_000_000

KINDS = ("sqlite", "postgres")


@dataclass
class Database:
    """A seeded platform plus what the report says about the database behind it."""

    kind: str
    platform: Platform
    server_version: str
    setup_seconds: float


def _settings(data_dir: Path, url: str) -> Settings:
    # Same shape as the tests' settings: no .env file, no embedded worker, no request rate limits
    # (the load comes from one address and a few principals; it would measure 429s).
    return Settings(_env_file=None, data_dir=data_dir, database_url=url, embedded_worker=False,  # type: ignore[call-arg]
                    api_limits="", anonymous_limits="", chat_limits="", whatsapp_limits="")


def _server_version(platform: Platform) -> str:
    with platform.engine.connect() as conn:
        if platform.engine.dialect.name == "sqlite":
            return "SQLite " + str(conn.execute(text("SELECT sqlite_version()")).scalar_one())
        return "PostgreSQL " + str(conn.execute(text("SHOW server_version")).scalar_one())


@contextmanager
def _seeded(kind: str, data_dir: Path, url: str) -> Iterator[Database]:
    started = time.perf_counter()
    platform = bootstrap(_settings(data_dir, url))  # runs the migrations
    try:
        with platform.session_factory() as session:
            seed_demo_world(session, platform.settings)
        for sku in (ORDER_SKU, RESERVE_SKU):
            platform.bus.handle(AdjustStock(sku=sku, warehouse=WAREHOUSE, delta=STOCK_TOP_UP,
                                            reason="benchmark: stock para no agotar", actor=SYSTEM))
        platform.relay.drain()  # start every workload with an empty outbox
        yield Database(kind=kind, platform=platform, server_version=_server_version(platform),
                       setup_seconds=time.perf_counter() - started)
    finally:
        platform.close()


@contextmanager
def sqlite_database() -> Iterator[Database]:
    with tempfile.TemporaryDirectory(prefix="mestocker-bench-") as tmp:
        path = Path(tmp) / "bench.db"
        with _seeded("sqlite", Path(tmp), f"sqlite:///{path.as_posix()}") as db:
            yield db


@contextmanager
def postgres_database() -> Iterator[Database]:
    """Raises tests.services.ServiceUnavailable when no PostgreSQL server can start."""
    from tests.services import run_postgres

    with run_postgres() as url, tempfile.TemporaryDirectory(prefix="mestocker-bench-") as tmp, \
            _seeded("postgres", Path(tmp), url) as db:
        yield db


@contextmanager
def seeded_platform(settings: Settings) -> Iterator[Platform]:
    """Seed the (fresh) database `settings` names and yield a platform over it, closed afterwards."""
    from infra.bootstrap import seed_fresh_database

    seed_fresh_database(settings)
    platform = bootstrap(settings)
    try:
        yield platform
    finally:
        platform.close()


@contextmanager
def seeded_for_servers(env: dict[str, str]) -> Iterator[Platform]:
    """`seeded_platform` for the database `env` names (MESTOCKER_DATA_DIR, MESTOCKER_DATABASE_URL): servers
    started as their own processes with that environment serve it; the platform is the bench's own set-up."""
    settings = Settings(_env_file=None, data_dir=Path(env["MESTOCKER_DATA_DIR"]),  # type: ignore[call-arg]
                        database_url=env["MESTOCKER_DATABASE_URL"])
    with seeded_platform(settings) as platform:
        yield platform
