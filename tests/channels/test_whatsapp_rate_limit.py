"""WhatsApp messages are limited per sender's phone number: beyond the limit they are never processed.

The first message over the limit gets one Spanish notice ("estás escribiendo muy rápido…"); the
ones after it, until the notice window passes, are dropped without a reply (a flood must not turn
into a flood of paid replies). Meta still gets its 200, so it does not redeliver them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from infra.settings import Settings
from tests.channels.conftest import LAURA_WA, FakeChat, post_signed, text_payload
from tests.channels.fake_graph import FakeGraphAPI
from tests.conftest import make_settings, seeded_database

OTHER_WA = "573000000999"  # not registered: gets the registration note, under its own quota


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from seeded_database(request, tmp_path)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(tmp_path, database_url, whatsapp_limits="2/minute")


def _texts(fake_graph: FakeGraphAPI, wa_id: str) -> list[str]:
    return [body["text"]["body"] for body in fake_graph.sent() if body.get("to") == wa_id and "text" in body]


def test_a_sender_over_the_limit_is_told_once_and_never_processed(wa: TestClient, chat: FakeChat,
                                                                   fake_graph: FakeGraphAPI) -> None:
    answers = [post_signed(wa, text_payload(LAURA_WA, f"mensaje {n}", message_id=f"wamid.flood-{n}"))
               for n in range(6)]
    assert {r.status_code for r in answers} == {200}  # Meta must not redeliver
    assert [r.json()["accepted"] for r in answers] == [1, 1, 0, 0, 0, 0]
    assert [call["message"] for call in chat.calls] == ["mensaje 0", "mensaje 1"]
    replies = _texts(fake_graph, LAURA_WA)
    assert replies[:2] == ["Respuesta a: mensaje 0", "Respuesta a: mensaje 1"]
    assert len(replies) == 3, replies  # one notice for the four refused messages
    assert replies[2].startswith("Estás escribiendo muy rápido")
    # Another number has its own quota.
    assert post_signed(wa, text_payload(OTHER_WA, "hola", message_id="wamid.other-1")).json()["accepted"] == 1


def test_a_redelivered_message_is_not_counted_twice(wa: TestClient, chat: FakeChat) -> None:
    for _ in range(3):  # Meta retrying the same message id
        assert post_signed(wa, text_payload(LAURA_WA, "hola", message_id="wamid.same")).status_code == 200
    assert post_signed(wa, text_payload(LAURA_WA, "otra", message_id="wamid.next")).json()["accepted"] == 1
    assert [call["message"] for call in chat.calls] == ["hola", "otra"]
