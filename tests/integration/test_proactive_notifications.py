"""Flow 1 end to end: an order placed → event → buyer notification → pushed to the open web chat."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from commerce.notifications import BuyerNotification
from infra.bootstrap import Platform
from tests.conftest import auth_headers

LAURA_USER_ID = 6


@pytest.mark.parametrize("database_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
def test_a_new_order_reaches_the_buyers_web_chat_once(platform: Platform) -> None:
    with TestClient(create_app(platform, background_worker=True)) as client:
        headers = auth_headers(client, "laura.gomez@example.co")
        client.post("/v1/chat/threads/n-1/messages", json={"message": "hola"}, headers=headers)  # web is her channel
        with client.app.state.web_push.subscribe(LAURA_USER_ID) as feed:  # type: ignore[attr-defined]
            order = client.post("/v1/orders", json={"lines": [{"sku": "CAF-002", "quantity": 1}]}, headers=headers)
            assert order.status_code == 201
            order_id = order.json()["id"]
            pushed = feed.get(timeout=20)
            assert pushed is not None, "no notification reached the open page"
            assert pushed["order_id"] == order_id and order_id in pushed["text"]
            assert feed.get(timeout=3) is None, "exactly one notification per event"
    with platform.read_uow() as uow:
        rows = list(uow.session.scalars(select(BuyerNotification).where(BuyerNotification.order_id == order_id)))
        assert [(r.status, r.channel) for r in rows] == [("sent", "web")]
