"""WhatsApp end to end with the real chat service: the offline model, the graph, the tools, the database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from commerce.marketplace.models import Order
from infra.bootstrap import Platform
from infra.channels.whatsapp_client import WhatsAppConfig
from tests.channels.conftest import LAURA_WA, button_payload, post_signed, text_payload
from tests.channels.fake_graph import FakeGraphAPI

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def real_wa(platform: Platform, wa_config: WhatsAppConfig) -> Iterator[TestClient]:
    app = create_app(platform, background_worker=False)
    with TestClient(app) as client:
        app.state.whatsapp = wa_config  # the real chat service from the lifespan stays
        yield client


def _sent_texts(graph: FakeGraphAPI) -> list[str]:
    texts = []
    for request in graph.requests:
        body = request.body
        texts.append(body.get("text", {}).get("body") or body.get("interactive", {}).get("body", {}).get("text", ""))
    return texts


def _orders(platform: Platform) -> int:
    with platform.read_uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(Order)) or 0


def test_a_buyer_tracks_an_order_from_whatsapp(real_wa: TestClient, fake_graph: FakeGraphAPI) -> None:
    assert post_signed(real_wa, text_payload(LAURA_WA, "¿dónde está mi pedido 1001?", "wamid.a1")).status_code == 200
    assert any("SV123456789CO" in text for text in _sent_texts(fake_graph))


def test_a_purchase_is_confirmed_with_a_button_exactly_once(real_wa: TestClient, fake_graph: FakeGraphAPI,
                                                            platform: Platform) -> None:
    before = _orders(platform)
    post_signed(real_wa, text_payload(LAURA_WA, "quiero comprar 1 panela orgánica", "wamid.b1"))
    asked = fake_graph.requests[-1].body
    assert asked["type"] == "interactive" and "¿Confirmas?" in asked["interactive"]["body"]["text"]
    assert _orders(platform) == before
    confirm = button_payload(LAURA_WA, "confirm", "Sí, confirmar", "wamid.b2")
    post_signed(real_wa, confirm)
    post_signed(real_wa, confirm)  # Meta redelivers the same message id
    assert _orders(platform) == before + 1
    assert "ORD-" in _sent_texts(fake_graph)[-1]
