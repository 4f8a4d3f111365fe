"""WhatsApp identity (signed payloads, shared numbers), login probing and the privacy endpoints."""

from __future__ import annotations

from unittest import mock

import pytest
from fastapi.testclient import TestClient

from commerce.identity import services
from commerce.identity.channels import find_user_by_phone
from commerce.shared.errors import NotAuthenticated
from infra.bootstrap import Platform
from tests.channels.conftest import LAURA_WA, FakeChat, post_signed, text_payload
from tests.channels.conftest import chat as chat
from tests.channels.conftest import fake_graph as fake_graph
from tests.channels.conftest import wa as wa
from tests.channels.conftest import wa_app as wa_app
from tests.channels.conftest import wa_config as wa_config
from tests.channels.fake_graph import FakeGraphAPI
from tests.conftest import auth_headers
from tests.security.conftest import ANDRES, LAURA, MAFE, update_user, user_row


def test_a_number_someone_else_types_into_their_profile_does_not_make_it_theirs(
        wa: TestClient, chat: FakeChat, platform: Platform, fake_graph: FakeGraphAPI) -> None:
    # Andrés registers Laura's number in another format: only a verified number binds, so it is still Laura's.
    update_user(platform, ANDRES, phone="3105550101")
    response = post_signed(wa, text_payload(LAURA_WA, "¿dónde está mi pedido ORD-1001?"))
    assert response.status_code == 200
    assert [call["principal"].email for call in chat.calls] == [LAURA]
    # And a number nobody verified, even if it is in a profile, reaches no account.
    update_user(platform, ANDRES, phone="3009998877")
    assert post_signed(wa, text_payload("573009998877", "mis pedidos", message_id="wamid.unverified")
                       ).status_code == 200
    assert len(chat.calls) == 1
    assert "no está registrado" in fake_graph.sent()[-1]["text"]["body"]


def test_an_inactive_user_is_never_identified_by_phone(wa: TestClient, chat: FakeChat, platform: Platform) -> None:
    update_user(platform, LAURA, active=False)
    assert post_signed(wa, text_payload(LAURA_WA, "mis pedidos", message_id="wamid.inactive")).status_code == 200
    assert chat.calls == []


@pytest.mark.parametrize("wa_id", ["5550101", "0101", "%0101", "57310555010", "5731055501010",
                                   "５７３１０５５５０１０１", "57310555O1O1"])
def test_partial_or_look_alike_numbers_match_nobody(platform: Platform, wa_id: str) -> None:
    with platform.session_factory() as session:
        assert find_user_by_phone(session, wa_id) is None
        assert find_user_by_phone(session, LAURA_WA) is not None


def test_a_signed_payload_for_another_phone_number_id_reaches_nobody(wa: TestClient, chat: FakeChat) -> None:
    payload = text_payload(LAURA_WA, "cancela mi pedido ORD-1004", message_id="wamid.other-number")
    payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999999999"
    assert post_signed(wa, payload).json()["accepted"] == 0
    assert chat.calls == []


def test_a_payload_signed_with_another_secret_is_refused(wa: TestClient, chat: FakeChat) -> None:
    response = post_signed(wa, text_payload(LAURA_WA, "hola"), secret="not-our-app-secret")
    assert response.status_code == 401 and chat.calls == []


def test_unknown_emails_cost_a_password_check_too(platform: Platform) -> None:
    # Without it, "unknown email" answers faster than "wrong password": emails could be probed.
    with mock.patch.object(services, "verify_and_update", wraps=services.verify_and_update) as verify:
        for email in ("nobody@example.co", LAURA):
            with platform.read_uow() as uow, pytest.raises(NotAuthenticated):
                services.authenticate(uow=uow, email=email, password="wrong", allow_demo_password=True)
        assert verify.call_count == 2


def test_a_deactivated_user_cannot_log_in_and_gets_the_same_message(client: TestClient, platform: Platform) -> None:
    wrong = client.post("/v1/auth/token", data={"username": MAFE, "password": "nope"})
    update_user(platform, MAFE, active=False)
    inactive = client.post("/v1/auth/token", data={"username": MAFE, "password": "mestocker-demo"})
    unknown = client.post("/v1/auth/token", data={"username": "ghost@example.co", "password": "x"})
    assert wrong.status_code == inactive.status_code == unknown.status_code == 401
    assert wrong.json() == inactive.json() == unknown.json()


def test_the_demo_password_is_refused_in_production(platform: Platform) -> None:
    with platform.read_uow() as uow, pytest.raises(NotAuthenticated):
        services.authenticate(uow=uow, email=LAURA, password=services.DEMO_PASSWORD, allow_demo_password=False)


def test_a_buyer_may_erase_only_itself(client: TestClient, platform: Platform) -> None:
    laura = auth_headers(client, LAURA)
    andres_id = user_row(platform, ANDRES).id
    assert client.post("/v1/privacy/erasure", json={"user_id": andres_id}, headers=laura).status_code == 403
    assert client.post("/v1/privacy/erasure", json={}, headers=laura).status_code == 200
    own = client.post("/v1/privacy/erasure", json={"user_id": user_row(platform, LAURA).id}, headers=laura)
    assert own.status_code == 200
    assert client.get("/v1/routing-logs", headers=laura).status_code == 403
