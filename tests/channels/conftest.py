"""Fixtures for the chat channels: a fake Graph API, a fake chat, a recording web push."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import delete, select

from agents.turns import Chat, PendingConfirmation, TurnResult
from api.app import create_app
from commerce.identity.models import User
from commerce.identity.principal import Principal
from commerce.notifications import BuyerNotification
from infra.bootstrap import Platform
from infra.channels.whatsapp_client import WhatsAppClient, WhatsAppConfig
from tests.channels.fake_graph import FakeGraphAPI

APP_SECRET = "app-secret-for-tests"
VERIFY_TOKEN = "verify-me"
ACCESS_TOKEN = "access-token-for-tests"
PHONE_NUMBER_ID = "1098765432"
WEBHOOK = "/v1/channels/whatsapp/webhook"
LAURA_WA = "573105550101"  # Laura Gómez, BUY-001, "+57 310 555 0101" in the demo world


class FakeChat(Chat):
    """Records every turn; answers with queued results (or a default reply)."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.results: list[TurnResult] = []
        self.error: Exception | None = None

    def send(self, *, principal: Principal, thread_id: str, message: str, channel: str = "web") -> TurnResult:
        self.calls.append({"principal": principal, "thread_id": thread_id, "message": message, "channel": channel})
        if self.error is not None:
            raise self.error
        if self.results:
            return self.results.pop(0)
        return TurnResult(thread_id=thread_id, agent="order", reply=f"Respuesta a: {message}")

    def will_ask_confirmation(self, question: str = "¿Confirmas cancelar el pedido ORD-1001?") -> None:
        self.results.append(TurnResult(
            thread_id="x", agent="order", reply=question,
            pending_confirmation=PendingConfirmation(tool="cancel_order", args={"order_id": "ORD-1001"},
                                                     question=question)))


class RecordingWebPush:
    """Stands in for infra.channels.web_push: records what was published to whom."""

    def __init__(self, fail_times: int = 0) -> None:
        self.published: list[tuple[int, dict[str, Any]]] = []
        self.fail_times = fail_times
        self._lock = threading.Lock()

    def publish(self, user_id: int, payload: dict[str, Any]) -> None:
        with self._lock:
            if self.fail_times:
                self.fail_times -= 1
                raise ConnectionError("push hub down")
            self.published.append((user_id, payload))


@pytest.fixture
def fake_graph() -> Iterator[FakeGraphAPI]:
    server = FakeGraphAPI().start()
    yield server
    server.stop()


@pytest.fixture
def wa_config(fake_graph: FakeGraphAPI) -> WhatsAppConfig:
    return WhatsAppConfig(verify_token=SecretStr(VERIFY_TOKEN), app_secret=SecretStr(APP_SECRET),
                          access_token=SecretStr(ACCESS_TOKEN), api_base_url=fake_graph.base_url,
                          phone_number_id=PHONE_NUMBER_ID)


@pytest.fixture
def wa_client(wa_config: WhatsAppConfig) -> Iterator[WhatsAppClient]:
    client = WhatsAppClient(wa_config, timeout=5.0)
    yield client
    client.close()


@pytest.fixture
def chat() -> FakeChat:
    return FakeChat()


@pytest.fixture
def wa_app(platform: Platform, wa_config: WhatsAppConfig, chat: FakeChat) -> Iterator[tuple[FastAPI, TestClient]]:
    app = create_app(platform, background_worker=False)
    with TestClient(app) as client:
        # After start-up: the lifespan wires the real chat service, which these tests replace.
        app.state.whatsapp = wa_config
        app.state.chat = chat
        yield app, client
    built: WhatsAppClient | None = getattr(app.state, "whatsapp_client", None)
    if built is not None:
        built.close()


@pytest.fixture
def wa(wa_app: tuple[FastAPI, TestClient]) -> TestClient:
    return wa_app[1]


@pytest.fixture
def no_notifications(platform: Platform) -> None:
    """Start delivery tests from an empty notification table (the seed may have left some)."""
    with platform.session_factory() as session:
        session.execute(delete(BuyerNotification))
        session.commit()


def user_by_email(platform: Platform, email: str) -> User:
    with platform.session_factory() as session:
        user = session.scalar(select(User).where(User.email == email))
        assert user is not None
        return user


def sign(raw: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def post_signed(client: TestClient, payload: dict[str, Any], *, secret: str = APP_SECRET) -> Any:
    raw = json.dumps(payload).encode()
    return client.post(WEBHOOK, content=raw, headers={"Content-Type": "application/json",
                                                      "X-Hub-Signature-256": sign(raw, secret)})


def envelope(value: dict[str, Any]) -> dict[str, Any]:
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": "573000000000", "phone_number_id": PHONE_NUMBER_ID}, **value}
    return {"object": "whatsapp_business_account",
            "entry": [{"id": "WABA-1", "changes": [{"field": "messages", "value": value}]}]}


def message_payload(wa_id: str, message: dict[str, Any], message_id: str = "wamid.test-1") -> dict[str, Any]:
    return envelope({
        "contacts": [{"profile": {"name": "Cliente"}, "wa_id": wa_id}],
        "messages": [{"from": wa_id, "id": message_id, "timestamp": str(int(time.time())), **message}],
    })


def text_payload(wa_id: str, text: str, message_id: str = "wamid.test-1") -> dict[str, Any]:
    return message_payload(wa_id, {"type": "text", "text": {"body": text}}, message_id)


def button_payload(wa_id: str, button_id: str, title: str, message_id: str = "wamid.btn-1") -> dict[str, Any]:
    interactive = {"type": "button_reply", "button_reply": {"id": button_id, "title": title}}
    return message_payload(wa_id, {"type": "interactive", "interactive": interactive}, message_id)
