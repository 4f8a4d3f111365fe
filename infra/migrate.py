"""Run Alembic migrations programmatically (the CLI, `make run` and the tests call this)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, MetaData

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def target_metadata() -> MetaData:
    """The metadata of every model (importing the model modules registers their tables)."""
    import router.log  # noqa: F401
    from commerce.shared.orm import Base

    return Base.metadata


def _config() -> Config:
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema up to `revision`."""
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Take the schema down to `revision` (base drops everything)."""
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
