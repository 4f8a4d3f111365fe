"""Alembic environment: runs with the connection handed over by `infra.migrate`, or a URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from infra.migrate import target_metadata
from infra.settings import get_settings


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata(),
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:  # `alembic -c infra/migrations/alembic.ini upgrade head` from a shell
    from infra.db import make_engine

    with make_engine(get_settings().database_url).connect() as conn:
        _run(conn)
        conn.commit()
