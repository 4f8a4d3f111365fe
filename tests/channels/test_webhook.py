"""The WhatsApp webhook: handshake, signatures, dedup, identification, replies and confirmations."""

from __future__ import annotations

import hmac
import json
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from api.channels import whatsapp
from commerce.identity.channels import WHATSAPP, ChannelSession
from commerce.identity.principal import Role
from commerce.shared.clock import utcnow
from commerce.shared.outbox import ProcessedMessage
from infra.bootstrap import Platform
from infra.channels.whatsapp_client import WhatsAppConfig
from tests.channels.conftest import (
    ACCESS_TOKEN,
    LAURA_WA,
    PHONE_NUMBER_ID,
    VERIFY_TOKEN,
    WEBHOOK,
    FakeChat,
    button_payload,
    envelope,
    message_payload,
    post_signed,
    sign,
    text_payload,
    user_by_email,
)
from tests.channels.fake_graph import FakeGraphAPI

# --- handshake ----------------------------------------------------------------------------------


def test_handshake_echoes_the_challenge_as_plain_text(wa: TestClient) -> None:
    response = wa.get(WEBHOOK, params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                                       "hub.challenge": "1158201444"})
    assert response.status_code == 200
    assert response.text == "1158201444"
    assert response.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize("params", [
    {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
    {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
    {"hub.challenge": "1"},
])
def test_handshake_refuses_a_bad_token_or_mode(wa: TestClient, params: dict[str, str]) -> None:
    response = wa.get(WEBHOOK, params=params)
    assert response.status_code == 403
    assert response.text != "1"


# --- signature ----------------------------------------------------------------------------------


def test_signed_payload_is_accepted(wa: TestClient, chat: FakeChat) -> None:
    response = post_signed(wa, text_payload(LAURA_WA, "hola"))
    assert response.status_code == 200
    assert len(chat.calls) == 1


def test_bad_or_missing_signature_is_refused(wa: TestClient, chat: FakeChat, fake_graph: FakeGraphAPI) -> None:
    raw = json.dumps(text_payload(LAURA_WA, "hola")).encode()
    assert wa.post(WEBHOOK, content=raw).status_code == 401
    assert wa.post(WEBHOOK, content=raw, headers={"X-Hub-Signature-256": sign(raw, "other-secret")}).status_code == 401
    assert wa.post(WEBHOOK, content=raw, headers={"X-Hub-Signature-256": "sha256=zz"}).status_code == 401
    non_ascii = {b"X-Hub-Signature-256": "sha256=ñ".encode("latin-1")}
    assert wa.post(WEBHOOK, content=raw, headers=non_ascii).status_code == 401
    assert chat.calls == [] and fake_graph.requests == []


def test_tampered_body_is_refused(wa: TestClient, chat: FakeChat) -> None:
    raw = json.dumps(text_payload(LAURA_WA, "hola")).encode()
    signature = sign(raw)
    tampered = raw.replace(b"hola", b"cancela ORD-1001")
    response = wa.post(WEBHOOK, content=tampered, headers={"X-Hub-Signature-256": signature})
    assert response.status_code == 401
    assert chat.calls == []


def test_signature_uses_constant_time_compare(wa: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[object, object]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        seen.append((a, b))
        return real(a, b)

    monkeypatch.setattr(whatsapp.hmac, "compare_digest", spy)
    raw = json.dumps(text_payload(LAURA_WA, "hola")).encode()
    assert wa.post(WEBHOOK, content=raw, headers={"X-Hub-Signature-256": sign(raw, "nope")}).status_code == 401
    assert seen and seen[-1][1] == sign(raw, "nope").encode()


def test_without_app_secret_nothing_is_accepted(wa_app: tuple[FastAPI, TestClient], chat: FakeChat,
                                                wa_config: WhatsAppConfig) -> None:
    app, client = wa_app
    app.state.whatsapp = wa_config.model_copy(update={"app_secret": SecretStr("")})
    raw = json.dumps(text_payload(LAURA_WA, "hola")).encode()
    response = client.post(WEBHOOK, content=raw, headers={"X-Hub-Signature-256": sign(raw, "")})
    assert response.status_code == 503
    assert "MESTOCKER_WHATSAPP_APP_SECRET" in response.json()["detail"]
    assert chat.calls == []


# --- identification and replies -------------------------------------------------------------------


def test_unknown_number_gets_a_registration_message_and_no_chat(wa: TestClient, chat: FakeChat,
                                                               fake_graph: FakeGraphAPI) -> None:
    response = post_signed(wa, text_payload("573009999999", "¿dónde está mi pedido ORD-1001?"))
    assert response.status_code == 200
    assert chat.calls == []
    [sent] = fake_graph.sent()
    assert sent["to"] == "573009999999" and sent["type"] == "text"
    assert "no está registrado" in sent["text"]["body"]
    assert "ORD-1001" not in sent["text"]["body"]


def test_known_number_talks_to_the_chat_as_that_user(wa: TestClient, chat: FakeChat, fake_graph: FakeGraphAPI,
                                                     platform: Platform) -> None:
    laura = user_by_email(platform, "laura.gomez@example.co")
    response = post_signed(wa, text_payload(LAURA_WA, "¿cómo va mi pedido?"))
    assert response.status_code == 200

    [call] = chat.calls
    principal = call["principal"]
    assert (principal.user_id, principal.role, principal.buyer_id) == (laura.id, Role.COMPRADOR, "BUY-001")
    assert principal.scopes == laura.principal().scopes
    assert call == {"principal": principal, "thread_id": f"wa:{laura.id}", "message": "¿cómo va mi pedido?",
                    "channel": "whatsapp"}

    [request] = fake_graph.requests
    assert request.path == f"/v21.0/{PHONE_NUMBER_ID}/messages"
    assert request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert request.body == {"messaging_product": "whatsapp", "recipient_type": "individual", "to": LAURA_WA,
                            "type": "text", "text": {"body": "Respuesta a: ¿cómo va mi pedido?",
                                                     "preview_url": False}}


def test_inbound_message_opens_the_service_window(wa: TestClient, platform: Platform) -> None:
    laura = user_by_email(platform, "laura.gomez@example.co")
    post_signed(wa, text_payload(LAURA_WA, "hola"))
    with platform.session_factory() as session:
        state = session.scalar(select(ChannelSession).where(ChannelSession.user_id == laura.id,
                                                            ChannelSession.channel == WHATSAPP))
        assert state is not None and state.address == LAURA_WA
        assert state.last_inbound_at is not None
        assert utcnow() - state.last_inbound_at < timedelta(minutes=1)


def test_redelivered_message_is_processed_once(wa: TestClient, chat: FakeChat, fake_graph: FakeGraphAPI,
                                               platform: Platform) -> None:
    payload = text_payload(LAURA_WA, "hola", message_id="wamid.same")
    assert post_signed(wa, payload).status_code == 200
    assert post_signed(wa, payload).status_code == 200
    assert len(chat.calls) == 1
    assert len(fake_graph.requests) == 1
    with platform.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(ProcessedMessage)
                              .where(ProcessedMessage.consumer == "whatsapp-inbound")) == 1


def test_long_message_ids_are_deduplicated_too(wa: TestClient, chat: FakeChat) -> None:
    payload = text_payload(LAURA_WA, "hola", message_id="wamid." + "H" * 120)
    post_signed(wa, payload)
    post_signed(wa, payload)
    assert len(chat.calls) == 1


@pytest.mark.parametrize(("button_id", "title", "expected"), [("confirm", "Sí, confirmar", "sí"),
                                                              ("cancel", "No, cancelar", "no")])
def test_button_replies_reach_the_chat_as_yes_or_no(wa: TestClient, chat: FakeChat, button_id: str, title: str,
                                                    expected: str) -> None:
    post_signed(wa, button_payload(LAURA_WA, button_id, title))
    assert [call["message"] for call in chat.calls] == [expected]


def test_list_reply_reaches_the_chat_as_its_title(wa: TestClient, chat: FakeChat) -> None:
    interactive = {"type": "list_reply", "list_reply": {"id": "row-2", "title": "Medellín"}}
    post_signed(wa, message_payload(LAURA_WA, {"type": "interactive", "interactive": interactive}))
    assert [call["message"] for call in chat.calls] == ["Medellín"]


def test_pending_confirmation_is_asked_with_reply_buttons(wa: TestClient, chat: FakeChat,
                                                          fake_graph: FakeGraphAPI) -> None:
    chat.will_ask_confirmation("¿Confirmas cancelar el pedido ORD-1001?")
    post_signed(wa, text_payload(LAURA_WA, "cancela el pedido 1001"))
    [sent] = fake_graph.sent()
    assert sent["type"] == "interactive"
    interactive = sent["interactive"]
    assert interactive["type"] == "button"
    assert interactive["body"]["text"] == "¿Confirmas cancelar el pedido ORD-1001?"
    assert [b["reply"] for b in interactive["action"]["buttons"]] == [
        {"id": "confirm", "title": "Sí, confirmar"}, {"id": "cancel", "title": "No, cancelar"}]


def test_status_updates_are_ignored(wa: TestClient, chat: FakeChat, fake_graph: FakeGraphAPI) -> None:
    payload = envelope({"statuses": [{"id": "wamid.out-1", "status": "read", "timestamp": "1700000000",
                                      "recipient_id": LAURA_WA}]})
    response = post_signed(wa, payload)
    assert response.status_code == 200 and response.json()["accepted"] == 0
    assert chat.calls == [] and fake_graph.requests == []


def test_unsupported_message_types_get_a_hint_without_a_turn(wa: TestClient, chat: FakeChat,
                                                            fake_graph: FakeGraphAPI) -> None:
    post_signed(wa, message_payload(LAURA_WA, {"type": "image", "image": {"id": "media-1"}}))
    assert chat.calls == []
    [sent] = fake_graph.sent()
    assert "solo puedo leer mensajes de texto" in sent["text"]["body"]


def test_messages_for_another_phone_number_id_are_ignored(wa: TestClient, chat: FakeChat) -> None:
    payload = text_payload(LAURA_WA, "hola")
    payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "someone-else"
    assert post_signed(wa, payload).status_code == 200
    assert chat.calls == []


def test_signed_but_malformed_payload_is_acknowledged(wa: TestClient, chat: FakeChat) -> None:
    response = post_signed(wa, {"object": "whatsapp_business_account", "entry": [{"changes": "nope"}]})
    assert response.status_code == 200 and response.json()["accepted"] == 0
    assert chat.calls == []


# --- failures -------------------------------------------------------------------------------------


def test_a_failing_turn_is_answered_with_an_apology_and_not_retried(
    wa: TestClient, chat: FakeChat, fake_graph: FakeGraphAPI, caplog: pytest.LogCaptureFixture
) -> None:
    chat.error = RuntimeError(f"boom while reading {LAURA_WA}")
    payload = text_payload(LAURA_WA, "mi cédula es 1020345678")
    assert post_signed(wa, payload).status_code == 200
    [sent] = fake_graph.sent()
    assert sent["text"]["body"].startswith("Lo siento")
    assert post_signed(wa, payload).status_code == 200  # Meta's retry: already processed
    assert len(chat.calls) == 1
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "RuntimeError" in logged
    assert LAURA_WA not in logged and "1020345678" not in logged


def test_a_graph_api_failure_does_not_fail_the_webhook(wa: TestClient, chat: FakeChat,
                                                       fake_graph: FakeGraphAPI) -> None:
    fake_graph.fail_next(1, status=500)
    assert post_signed(wa, text_payload(LAURA_WA, "hola")).status_code == 200
    assert len(chat.calls) == 1 and len(fake_graph.requests) == 1 and not fake_graph.requests[0].ok


def test_an_oversized_body_is_refused_before_anything_runs(wa: TestClient, chat: FakeChat) -> None:
    raw = b'{"entry": [' + b" " * (whatsapp.MAX_BODY_BYTES + 10) + b"]}"
    response = wa.post(WEBHOOK, content=raw, headers={"X-Hub-Signature-256": sign(raw)})
    assert response.status_code == 413 and chat.calls == []


@pytest.mark.parametrize("receiver", ["", "999999999"])
def test_messages_for_another_or_no_business_number_are_ignored(wa: TestClient, chat: FakeChat, receiver: str) -> None:
    payload = text_payload(LAURA_WA, "hola", "wamid.other-number")
    payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = receiver
    assert post_signed(wa, payload).status_code == 200
    assert chat.calls == []
