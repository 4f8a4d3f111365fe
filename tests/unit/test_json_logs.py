"""Structured JSON logs: a chat turn's lines carry the request id, the hashed thread and principal, and no
personal value (docs/performance.md, observability)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from infra.bootstrap import Platform, privacy_salt
from infra.json_logs import JsonFormatter, scrub
from infra.settings import Profile, Settings
from router.log import hash_principal, query
from tests.conftest import auth_headers, make_settings

BUYER = "laura.gomez@example.co"
PERSONAL = ("laura.gomez@example.co", "Laura", "Gómez", "310 555 0101", "3105550101", "1020345678", "Calle 80")


@pytest.fixture
def captured(platform: Platform) -> Iterator[io.StringIO]:
    """Every log line of the test, as the JSON formatter writes it."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter(salt=privacy_salt(platform.settings)))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield out
    root.removeHandler(handler)
    root.setLevel(level)


def test_a_chat_turn_logs_json_with_request_thread_and_hashed_principal(platform: Platform,
                                                                         captured: io.StringIO) -> None:
    with TestClient(create_app(platform, background_worker=False)) as client:
        headers = auth_headers(client, BUYER) | {"X-Request-ID": "req-json-logs-1"}
        turn = client.post("/v1/chat/threads/json-logs/messages", headers=headers,
                           json={"message": "Soy Laura Gómez, mi cédula es 1020345678 y mi celular 3105550101: "
                                            "¿dónde está mi pedido ORD-1001?"})
        assert turn.status_code == 200, turn.text
    lines = [json.loads(line) for line in captured.getvalue().splitlines() if line.strip()]
    in_turn = [line for line in lines if line.get("request_id") == "req-json-logs-1"]
    routed = [line for line in in_turn if line["logger"] == "mestocker.router"]
    assert routed, lines
    with platform.read_session_factory() as session:
        rows = [r for r in query(session, limit=50) if r.request_id == "req-json-logs-1"]
    assert rows
    for line in routed:
        assert {"ts", "level", "message", "thread"} <= set(line)
        # The same salted hashes as the routing log: a log line joins its routing row, and names no one.
        assert line["principal_hash"] == rows[0].principal_hash
        assert line["thread_id"] == rows[0].thread_id
    text = captured.getvalue()
    for value in PERSONAL:
        assert value not in text, value


def test_values_in_a_message_are_masked_and_extras_kept() -> None:
    formatter = JsonFormatter(salt="s")
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "escribió %s desde +57 310 555 0101 token=%s",
                               ("laura.gomez@example.co", "access_token=abc123"), None)
    record.order_id = "ORD-1001"
    line = json.loads(formatter.format(record))
    assert "laura" not in line["message"] and "310 555" not in line["message"] and "abc123" not in line["message"]
    assert line["order_id"] == "ORD-1001" and line["level"] == "WARNING" and line["request_id"] is None
    assert "principal_hash" not in line  # outside a chat turn there is no subject
    assert scrub("pedido ORD-1001, 2 unidades") == "pedido ORD-1001, 2 unidades"
    assert hash_principal("3", "s") != "3"


def test_the_format_follows_the_setting(tmp_path: Path) -> None:
    assert make_settings(tmp_path, f"sqlite:///{tmp_path}/x.db").effective_log_format == "text"  # embedded default
    assert make_settings(tmp_path, f"sqlite:///{tmp_path}/x.db", log_format="json").effective_log_format == "json"
    # Production's default is json (built without validation: its other guards need real services).
    assert Settings.model_construct(profile=Profile.PRODUCTION, log_format=None).effective_log_format == "json"
    assert Settings.model_construct(profile=Profile.PRODUCTION, log_format="text").effective_log_format == "text"


def test_the_app_switches_root_handlers_to_json_when_configured(platform: Platform) -> None:
    handler = logging.StreamHandler(io.StringIO())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        platform.settings.log_format = "json"
        with TestClient(create_app(platform, background_worker=False)):
            assert isinstance(handler.formatter, JsonFormatter)
    finally:
        root.removeHandler(handler)
