"""Fresh seeded databases for the tasks, the setup steps, and the database state a task leaves.

The demo world is seeded once per run into a template SQLite file (seeding takes seconds: 90 days
of history, password hashes); every task and every replay gets a copy of that file, as
tests/conftest.py does. The state a task leaves is compared as a hash of the rows it touched: the
difference between the template's rows and the end rows, table by table, with the columns that can
differ between two equal runs (clock times, the thread key) left out.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, Table, create_engine, select, update

from commerce.fulfillment.commands import CancelPurchaseOrder, CreatePurchaseOrder, PurchaseLine
from commerce.identity.principal import Principal
from commerce.identity.services import principal_by_email
from commerce.marketplace.commands import CancelOrder
from commerce.shared.commands import Command
from commerce.support import OpenSupportTicket
from evals.tasks import SetupStep
from infra.bootstrap import Platform, bootstrap, seed_fresh_database
from infra.settings import Settings

# The domain tables a conversation can change. Infrastructure bookkeeping (outbox, idempotency keys,
# routing log, processed messages, notifications, checkpoints) is not the task's outcome.
STATE_TABLES = (
    "products", "stock_levels", "reservations", "stock_movements", "orders", "order_lines", "payments",
    "shipments", "carts", "cart_lines", "purchase_orders", "purchase_order_lines", "support_tickets",
    "sellers", "buyers", "users", "consent_records",
)
# Free text a model words in its own way (a cancellation reason, a ticket summary) and the thread key:
# whether the row changed counts, not these words.
# Random ids (a new reservation's or cart's key) differ between two equal runs too.
FREE_TEXT_COLUMNS = {("orders", "cancel_reason"), ("support_tickets", "summary"),
                     ("support_tickets", "thread_id"), ("purchase_orders", "note"),
                     ("reservations", "id"), ("carts", "id"), ("cart_lines", "cart_id")}


def _purchase_order(**args: Any) -> Command:
    lines = [PurchaseLine(**line) for line in args.pop("lines")]
    return CreatePurchaseOrder(lines=lines, **args)


SETUP_COMMANDS: dict[str, Any] = {
    "CreatePurchaseOrder": _purchase_order,
    "CancelPurchaseOrder": lambda **a: CancelPurchaseOrder(**a),
    "OpenSupportTicket": lambda **a: OpenSupportTicket(**a),
    "CancelOrder": lambda **a: CancelOrder(**a),
}


def settings_for(database: Path, data_dir: Path, overrides: dict[str, Any] | None = None) -> Settings:
    """The run's settings (environment and .env: the models it points at) over one task's database."""
    return Settings(data_dir=data_dir, database_url=f"sqlite:///{database}", embedded_worker=False,
                    **(overrides or {}))


def seed_template(path: Path, data_dir: Path) -> Path:
    """Seed the demo world into a new SQLite file at `path` (migrated, ready to copy)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    settings = settings_for(path, data_dir)
    seed_fresh_database(settings)
    return path


def index_knowledge(template: Path, data_dir: Path) -> None:
    """Index the knowledge base into the run's data folder once (every task's chat reads that index),
    as `mestocker kb index --if-missing` does."""
    from infra.knowledge import build_knowledge

    kb = build_knowledge(settings_for(template, data_dir))
    if not kb.is_indexed():
        kb.index()


@dataclass
class World:
    """The run's template database and the folder where each task gets its copy."""

    template: Path
    workdir: Path
    data_dir: Path
    overrides: dict[str, Any] = field(default_factory=dict)  # e.g. the leak probe's fake cloud models

    @contextmanager
    def fresh(self, name: str, setup: Sequence[SetupStep] = ()) -> Iterator[Platform]:
        """A platform over a private copy of the seeded template with `setup` applied."""
        database = self.workdir / f"{name}.db"
        shutil.copyfile(self.template, database)
        _apply_updates(database, [step for step in setup if step.update])
        platform = bootstrap(settings_for(database, self.data_dir, self.overrides), run_migrations=False)
        try:
            for step in setup:
                if step.command:
                    platform.bus.handle(SETUP_COMMANDS[step.command](**dict(step.args)))
            yield platform
        finally:
            platform.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{database}{suffix}").unlink(missing_ok=True)

    def template_rows(self) -> dict[str, Counter[str]]:
        return _cached_rows(self.template)


def principal_for(platform: Platform, email: str) -> Principal:
    """The demo user with `email`, as the API would authenticate them."""
    with platform.read_uow() as uow:
        principal = principal_by_email(uow=uow, email=email)
    if principal is None:
        raise LookupError(f"no user {email} in the demo world")
    return principal


def _apply_updates(database: Path, steps: list[SetupStep]) -> None:
    if not steps:
        return
    engine = create_engine(f"sqlite:///{database}")
    try:
        meta = MetaData()
        with engine.begin() as conn:
            for step in steps:
                table = Table(str(step.update), meta, autoload_with=conn)
                where = [table.c[col] == value for col, value in step.key.items()]
                conn.execute(update(table).where(*where).values(**step.values))
    finally:
        engine.dispose()


def table_rows(engine: Engine) -> dict[str, Counter[str]]:
    """Every state table's rows as a multiset of canonical JSON rows (volatile columns left out)."""
    meta = MetaData()
    rows: dict[str, Counter[str]] = {}
    with engine.connect() as conn:
        for name in STATE_TABLES:
            table = Table(name, meta, autoload_with=conn)
            cols = [c for c in table.columns
                    if not isinstance(c.type, DateTime) and (name, c.name) not in FREE_TEXT_COLUMNS]
            rows[name] = Counter(
                json.dumps(dict(zip([c.name for c in cols], row, strict=True)), sort_keys=True, default=str)
                for row in conn.execute(select(*cols))
            )
    return rows


_ROWS_CACHE: dict[Path, dict[str, Counter[str]]] = {}


def _cached_rows(path: Path) -> dict[str, Counter[str]]:
    if path not in _ROWS_CACHE:
        engine = create_engine(f"sqlite:///{path}")
        try:
            _ROWS_CACHE[path] = table_rows(engine)
        finally:
            engine.dispose()
    return _ROWS_CACHE[path]


def touched_rows(before: dict[str, Counter[str]], after: dict[str, Counter[str]]) -> dict[str, dict[str, list[str]]]:
    """Per table, the rows added and removed (an update is one of each) between two states."""
    diff: dict[str, dict[str, list[str]]] = {}
    for name in STATE_TABLES:
        added = sorted((after[name] - before[name]).elements())
        removed = sorted((before[name] - after[name]).elements())
        if added or removed:
            diff[name] = {"added": added, "removed": removed}
    return diff


def state_hash(diff: dict[str, dict[str, list[str]]]) -> str:
    """A short stable hash of a touched-rows diff (the empty diff is the untouched seed)."""
    return hashlib.sha256(json.dumps(diff, sort_keys=True).encode()).hexdigest()[:16]
