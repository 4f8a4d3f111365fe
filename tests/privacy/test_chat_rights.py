"""The same rights from the chat: export, revoke, erase with a confirmation; consent on first contact;
a subject without international-transfer consent never reaches the cloud."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import select, text

from commerce.identity.consent import QUESTION, TEXT_HASH, RevokeConsent, Withdrawal
from commerce.identity.models import User
from commerce.identity.principal import Principal, Role
from commerce.identity.services import principal_by_email
from commerce.shared.field_crypto import email_index
from infra.bootstrap import Platform, build_chat_service
from router.models import RouterConfig
from tests.conftest import auth_headers
from tests.router.fake_llm_servers import FakeLlmServer

LAURA = "laura.gomez@example.co"
COMPLEX = "Compara los dos planes de envío y recomiéndame uno explicando por qué"


def say(client: TestClient, headers: dict[str, str], message: str, thread: str = "d-1") -> dict:
    response = client.post(f"/v1/chat/threads/{thread}/messages", json={"message": message}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def scalar(platform: Platform, sql: str, **params: object) -> object:
    with platform.engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_export_and_revocation_from_the_chat_ask_first(client: TestClient) -> None:
    platform: Platform = client.app.state.platform  # type: ignore[attr-defined]
    laura = auth_headers(client, LAURA)
    asked = say(client, laura, "quiero descargar mis datos")
    assert asked["pending_confirmation"]["tool"] == "export_my_data" and "¿Confirmas?" in asked["reply"]
    assert scalar(platform, "SELECT count(*) FROM privacy_requests") == 0
    done = say(client, laura, "sí")
    assert [c["name"] for c in done["tool_calls"]] == ["export_my_data"] and "GET /v1/me/data" in done["reply"]
    assert scalar(platform, "SELECT count(*) FROM privacy_requests WHERE type = 'export' AND channel = 'web'") == 1
    # "ya no quiero que usen mis datos" → confirm → the next message asks for consent again.
    assert say(client, laura, "ya no quiero que usen mis datos")["pending_confirmation"]["tool"] == "revoke_consent"
    say(client, laura, "sí")
    assert say(client, laura, "¿dónde está mi pedido 1001?")["reply"] == QUESTION
    accepted = say(client, laura, "Acepto sin nube")
    assert "sin salir de Colombia" in accepted["reply"]
    row = platform.engine.connect().execute(text(
        "SELECT international_transfer, text_hash, channel FROM consent_records WHERE revoked_at IS NULL "
        "AND user_id = (SELECT id FROM users WHERE email_index = :e)"), {"e": email_index(LAURA)}).one()
    assert tuple(row) == (False, TEXT_HASH, "web")
    assert say(client, laura, "¿dónde está mi pedido 1001?")["tool_calls"][0]["name"] == "track_shipment"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_erasure_from_the_chat_leaves_no_conversation(client: TestClient) -> None:
    platform: Platform = client.app.state.platform  # type: ignore[attr-defined]
    laura = auth_headers(client, LAURA)
    say(client, laura, "mi cédula es 1020345678, ¿dónde está mi pedido 1001?", thread="e-0")
    assert say(client, laura, "borren mis datos")["pending_confirmation"]["tool"] == "erase_my_data"
    assert say(client, laura, "no")["tool_calls"][0]["status"] == "cancelled"
    say(client, laura, "borren mis datos")
    done = say(client, laura, "sí")
    assert "borramos tus datos" in done["reply"]
    assert client.get("/v1/orders", headers=laura).status_code == 401
    checkpoints = platform.settings.checkpoints_path.read_bytes()
    assert b"1020345678" not in checkpoints and b"borren mis datos" not in checkpoints
    assert scalar(platform, "SELECT count(*) FROM idempotency_keys WHERE key LIKE 'agent:u%'") == 0
    with platform.session_factory() as session:  # the account: email replaced (encrypted), deactivated
        closed = [u for u in session.scalars(select(User)) if u.email.startswith("suprimido+")]
    assert len(closed) == 1 and closed[0].active is False


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_first_contact_asks_for_consent_on_web_and_whatsapp(platform: Platform) -> None:
    from commerce.identity.passwords import hash_password

    with platform.session_factory() as session:
        session.add(User(email="nueva@example.co", password_hash=hash_password("x" * 12), role=Role.COMPRADOR,
                         phone="+573001112233"))
        session.commit()
    with platform.read_uow() as uow:
        newcomer = principal_by_email(uow=uow, email="nueva@example.co")
    assert newcomer is not None
    chat = build_chat_service(platform, InMemorySaver(), record_routing=False)
    for channel in ("whatsapp", "web"):
        first = chat.send(principal=newcomer, thread_id=f"c-{channel}", message="hola, ¿tienen café?", channel=channel)
        assert first.reply == QUESTION and first.tool_calls == []
        # Nothing of the message was kept before the answer.
        assert chat.history(principal=newcomer, thread_id=f"c-{channel}") == []
    accepted = chat.send(principal=newcomer, thread_id="c-whatsapp", message="acepto", channel="whatsapp")
    assert accepted.reply.startswith("¡Gracias!")
    answered = chat.send(principal=newcomer, thread_id="c-web", message="¿tienen café?", channel="web")
    assert answered.reply != QUESTION
    assert scalar(platform, "SELECT channel FROM consent_records WHERE user_id = :u", u=newcomer.user_id) == "whatsapp"


@pytest.fixture
def cloud() -> Iterator[dict[str, FakeLlmServer]]:
    started = {"openai": FakeLlmServer("openai", "respuesta openai").start(),
               "anthropic": FakeLlmServer("anthropic", "respuesta anthropic").start()}
    yield started
    for server in started.values():
        server.stop()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_subject_without_transfer_consent_never_reaches_the_cloud(platform: Platform,
                                                                    cloud: dict[str, FakeLlmServer]) -> None:
    config = RouterConfig(openai_api_key="sk-test", openai_base_url=cloud["openai"].base_url,
                          anthropic_api_key="sk-ant-test", anthropic_base_url=cloud["anthropic"].base_url,
                          timeout_s=5, max_retries=0, openai_model="gpt-4o-mini", anthropic_model="claude-haiku-4-5")
    chat = build_chat_service(platform, InMemorySaver(), router=config)
    with platform.read_uow() as uow:
        laura: Principal | None = principal_by_email(uow=uow, email=LAURA)
    assert laura is not None
    first = chat.send(principal=laura, thread_id="c-1", message=COMPLEX)
    assert cloud["openai"].bodies, "with consent, a complex public turn goes to the cloud"
    assert first.routing["model"] == "openai:gpt-4o-mini"
    platform.bus.handle(RevokeConsent(actor=laura, withdraw=Withdrawal.INTERNATIONAL_TRANSFER))
    seen = len(cloud["openai"].bodies)
    for thread in ("c-1", "c-2"):  # the same thread (its history went to the cloud once) and a new one
        turn = chat.send(principal=laura, thread_id=thread, message=COMPLEX)
        assert turn.routing["model"] == "offline" and "transferencia internacional" in turn.routing["reason"]
    assert len(cloud["openai"].bodies) == seen and cloud["anthropic"].bodies == []
