"""OpenTelemetry traces of a chat turn, with the SDK's in-memory exporter: HTTP → chat turn → agent → tool,
and database spans under the turn."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from api.app import create_app
from infra.bootstrap import Platform
from infra.tracing import configure_tracing, otlp_endpoint
from tests.conftest import auth_headers

SELLER = "ventas@cafeorigen.example.co"


@pytest.fixture
def spans(platform: Platform) -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    assert configure_tracing("", engines=[platform.engine], exporter=exporter) is not None
    yield exporter
    exporter.shutdown()  # later tests in this process export nothing here


def _parent(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> ReadableSpan | None:
    return by_id.get(span.parent.span_id) if span.parent is not None else None


def _ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[str]:
    names, current = [], _parent(span, by_id)
    while current is not None:
        names.append(current.name)
        current = _parent(current, by_id)
    return names


def test_a_chat_turn_is_one_trace_from_http_to_tool_and_database(platform: Platform,
                                                                 spans: InMemorySpanExporter) -> None:
    with TestClient(create_app(platform, background_worker=False)) as client:
        headers = auth_headers(client, SELLER)
        spans.clear()
        turn = client.post("/v1/chat/threads/traced/messages", headers=headers,
                           json={"message": "¿Cuántas unidades hay de CAF-001?"})
        assert turn.status_code == 200
        assert any(c["name"] == "get_stock" for c in turn.json()["tool_calls"])
    finished = spans.get_finished_spans()
    by_id = {s.context.span_id: s for s in finished}
    # FastAPI's own server span, named by the route template (never the thread id in the URL).
    http = [s for s in finished if s.kind == SpanKind.SERVER]
    assert [s.name for s in http] == ["POST /v1/chat/threads/{thread_id}/messages"]
    turn_span = next(s for s in finished if s.name == "chat.turn")
    assert http[0].name in _ancestors(turn_span, by_id)
    tool = next(s for s in finished if s.name == "tool get_stock")
    chain = _ancestors(tool, by_id)
    assert chain[:3] == ["tools", "agent inventory", "chat.turn"] and chain[-1] == http[0].name
    assert {s.context.trace_id for s in finished if s.name in ("chat.turn", "tool get_stock")} == {
        http[0].context.trace_id}
    database = [s for s in finished if s.name.split(" ")[0] in ("SELECT", "INSERT", "UPDATE")]
    assert database and any("chat.turn" in _ancestors(s, by_id) for s in database)
    # Arguments and messages are never span attributes.
    assert not any("CAF-001" in str(v) for s in finished for v in (s.attributes or {}).values()
                   if s.name.startswith(("tool", "agent", "chat", "HTTP")))


def test_nothing_is_installed_without_an_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    assert otlp_endpoint("") == "" and configure_tracing("", engines=[]) is None
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    assert otlp_endpoint("") == "http://collector:4318"
    assert otlp_endpoint("http://mine:4318") == "http://mine:4318"
