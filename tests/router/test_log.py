"""llm_routing_logs rows: written from records, listed, anonymised on a deletion request."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy.orm import Session

from commerce.shared.clock import utcnow
from router.log import LlmRoutingLog, forget_principal, hash_principal, query, record_rows
from router.recording import RoutingRecord


def record(**overrides: object) -> RoutingRecord:
    values: dict[str, object] = {
        "request_id": "req-1",
        "classification": "internal",
        "entities": {"EMAIL_ADDRESS": 1},
        "topics": [],
        "recognizer_set_version": "v1",
        "policy_version": "p1",
        "policy_target": "cloud",
        "model": "local:a",
        "chain": ["openai:x", "local:a", "offline"],
        "tried": ["openai:x", "local:a"],
        "fallback": True,
        "reason": "complex turn",
        "legal_basis": "Ley 1581",
        "outcome": "fallback",
        "latency_ms": 12.5,
        "tokens_in": 10,
        "tokens_out": 3,
    }
    values.update(overrides)
    return RoutingRecord(**values)  # type: ignore[arg-type]


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    LlmRoutingLog.__table__.create(engine)  # type: ignore[attr-defined]
    with Session(engine) as session:
        yield session
    engine.dispose()


def test_columns() -> None:
    engine = create_engine("sqlite://")
    LlmRoutingLog.__table__.create(engine)  # type: ignore[attr-defined]
    names = {column["name"] for column in inspect(engine).get_columns("llm_routing_logs")}
    assert {"request_id", "thread_id", "channel", "principal_hash", "agent", "classification", "entities",
            "recognizer_set_version", "policy_target", "model", "fallback_chain", "reason", "legal_basis",
            "latency_ms", "tokens_in", "tokens_out", "outcome", "created_at"} <= names  # fmt: skip


def test_record_query_and_forget(session: Session) -> None:
    alice, bob = hash_principal("user-1", "salt"), hash_principal("user-2", "salt")
    record_rows(session, [record(), record(request_id="req-2")], thread_id="t1", channel="web",
                principal_hash=alice, agent="order")  # fmt: skip
    record_rows(
        session, [record(request_id="req-3")], thread_id="t2", channel="whatsapp", principal_hash=bob, agent=None
    )
    session.commit()
    rows = query(session)
    assert len(rows) == 3 and rows[0].created_at.tzinfo is not None
    assert rows[0].entities == {"EMAIL_ADDRESS": 1}
    assert [r.request_id for r in query(session, principal_hash=alice)] == ["req-2", "req-1"]
    assert query(session, since=utcnow() + timedelta(minutes=1)) == []
    assert len(query(session, limit=1)) == 1
    assert forget_principal(session, alice) == 2
    session.commit()
    assert query(session, principal_hash=alice) == []
    assert query(session, thread_id="t1") == []
    assert len(query(session)) == 3  # the rows stay, anonymised, for the aggregate statistics


def test_principal_hash_is_salted_and_never_raw() -> None:
    hashed = hash_principal("user-1", "salt-a")
    assert len(hashed) == 64 and "user-1" not in hashed
    assert hashed != hash_principal("user-1", "salt-b")
    with pytest.raises(ValueError):
        hash_principal("user-1", "")
