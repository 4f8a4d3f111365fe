"""Routes, channels and agents change state only through `bus.handle(command)`.

A static guard beside the import-linter contract (which keeps SQLAlchemy out of api.routers and
api.channels): no module here may reach for a session factory, a write unit of work or a
session's write methods. Reads through views and `bus.read()` stay allowed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUARDED = [*sorted((ROOT / "api" / "routers").glob("*.py")), *sorted((ROOT / "api" / "channels").glob("*.py")),
           *sorted((ROOT / "agents").rglob("*.py"))]

# Ways to get a writable session or to end a transaction by hand.
FORBIDDEN_ATTRIBUTES = {"session_factory", "read_session_factory", "uow_factory", "engine", "commit", "flush",
                        "rollback", "begin_nested"}
# Write methods of a SQLAlchemy session (`uow.session.add(...)`, `session.execute(update(...))`).
SESSION_WRITES = {"add", "add_all", "delete", "merge", "execute", "bulk_save_objects", "bulk_insert_mappings"}
WRITE_CONSTRUCTS = {"insert", "update", "delete"}


def _is_session(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id == "session") or (
        isinstance(node, ast.Attribute) and node.attr == "session")


def write_paths(source: str) -> list[str]:
    """Every place in `source` that writes to the database other than through the message bus."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES:
            found.append(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "uow":
                found.append(f"line {node.lineno}: .uow() opens a write unit of work")
            elif node.func.attr in SESSION_WRITES and _is_session(node.func.value):
                found.append(f"line {node.lineno}: session.{node.func.attr}()")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            found.extend(f"line {node.lineno}: imports sqlalchemy {a.name}" for a in node.names
                         if a.name in WRITE_CONSTRUCTS)
    return found


@pytest.mark.parametrize("path", GUARDED, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_write_outside_the_message_bus(path: Path) -> None:
    assert write_paths(path.read_text(encoding="utf-8")) == [], "send a command through bus.handle instead"


@pytest.mark.parametrize("snippet", [
    "with platform.session_factory() as s:\n    s.add(row)\n    s.commit()",
    "with platform.uow() as uow:\n    uow.session.add(row)",
    "with bus.read() as uow:\n    uow.session.execute(stmt)",
    "from sqlalchemy import delete",
    "session.delete(ticket)",
])
def test_the_guard_sees_a_write(snippet: str) -> None:
    assert write_paths(snippet)


def test_reads_stay_allowed() -> None:
    assert write_paths("with bus.read() as uow:\n    rows = list(uow.session.scalars(select(Product)))") == []
    assert write_paths("platform.bus.handle(RecordChannelUse(user_id=1, channel='web'))") == []
