"""The chat API and the notifications stream as an attacker would try them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from infra.bootstrap import Platform
from tests.conftest import auth_headers
from tests.security.conftest import (
    ANDRES,
    BOTH_BACKENDS,
    CAFE_SELLER,
    LAURA,
    assert_no_leak,
    bearer,
    mint,
    update_user,
    user_row,
)


def _say(client: TestClient, headers: dict[str, str], thread: str, message: str) -> object:
    return client.post(f"/v1/chat/threads/{thread}/messages", json={"message": message}, headers=headers)


def test_a_thread_id_that_spells_another_users_key_stays_private(client: TestClient, platform: Platform) -> None:
    andres = auth_headers(client, ANDRES)
    andres_id = user_row(platform, ANDRES).id
    assert _say(client, andres, "x", "¿dónde está mi pedido ORD-1002?").status_code == 200  # type: ignore[attr-defined]
    laura = auth_headers(client, LAURA)
    for thread in ("x", f"u{andres_id}:x", f"u{andres_id}", f"{andres_id}:x", ":x"):
        history = client.get(f"/v1/chat/threads/{thread}", headers=laura)
        assert history.status_code == 404, thread  # not one of hers: as if it did not exist
        assert "ORD-1002" not in history.text


@pytest.mark.parametrize("thread", ["a/b", "..", "a b", "x" * 101, "%00", "t\u20101"])
def test_odd_thread_ids_are_refused_or_stay_private(client: TestClient, thread: str) -> None:
    response = client.get(f"/v1/chat/threads/{thread}", headers=auth_headers(client, LAURA))
    assert response.status_code in (404, 422), response.text
    assert_no_leak(response.text)


def test_chat_messages_are_bounded(client: TestClient) -> None:
    laura = auth_headers(client, LAURA)
    for message in ("", "   \n\t ", "x" * 4001):
        response = _say(client, laura, "t", message)
        assert response.status_code == 422, message[:10]  # type: ignore[attr-defined]
    binary = client.post("/v1/chat/threads/t/messages", content=b'{"message": "\xff\xfe\x00"}',
                         headers={**laura, "Content-Type": "application/json"})
    assert 400 <= binary.status_code < 500
    assert "There was an error" not in binary.text  # Spanish, like every other error
    assert_no_leak(binary.text)


@BOTH_BACKENDS
@pytest.mark.parametrize("message", ["stock de CAF-001\x00 en BOG", "hola\x1b[2J\x07\x08", "hola \u202e\u200b",
                                     "\x00"])
def test_control_characters_in_a_chat_message_are_not_a_server_error(client: TestClient, message: str) -> None:
    response = _say(client, auth_headers(client, CAFE_SELLER), "ctl", message)
    assert response.status_code in (200, 422), response.text  # type: ignore[attr-defined]
    assert_no_leak(response.text)  # type: ignore[attr-defined]


def test_a_look_alike_sku_in_chat_is_only_ever_the_callers_own(client: TestClient) -> None:
    # Whatever the model makes of "TEC‐550" (Unicode hyphen), the tool still authorizes the seller.
    response = _say(client, auth_headers(client, CAFE_SELLER), "la", "stock de TEC\u2010550")
    assert response.status_code == 200  # type: ignore[attr-defined]
    turn = response.json()  # type: ignore[attr-defined]
    assert all(call["status"] != "ok" for call in turn["tool_calls"] if call["args"].get("sku") == "TEC-550")
    assert "disponibles" not in turn["reply"]


def test_a_number_beyond_64_bits_in_chat_is_not_a_server_error(client: TestClient) -> None:
    with TestClient(client.app, raise_server_exceptions=False) as raw:
        response = _say(raw, auth_headers(raw, CAFE_SELLER), "big",
                        "cambia el precio de CAF-001 a 99999999999999999999999999 pesos")
    assert response.status_code in (200, 422)  # type: ignore[attr-defined]
    if response.status_code == 200:  # type: ignore[attr-defined]
        assert all(call["status"] != "ok" for call in response.json()["tool_calls"])  # type: ignore[attr-defined]


def test_the_notification_stream_needs_a_live_token(client: TestClient, platform: Platform) -> None:
    assert client.get("/v1/notifications/stream").status_code == 401
    assert client.get("/v1/notifications/stream", params={"access_token": "nope"}).status_code == 401
    expired = mint(client, expires_in=timedelta(seconds=-1))
    assert client.get("/v1/notifications/stream", params={"access_token": expired}).status_code == 401
    assert client.get("/v1/notifications/stream", headers=bearer(expired)).status_code == 401
    token = auth_headers(client, LAURA)["Authorization"].removeprefix("Bearer ")
    update_user(platform, LAURA, active=False)
    assert client.get("/v1/notifications/stream", params={"access_token": token}).status_code == 401


def test_the_stream_subscribes_to_the_token_owner_only(client: TestClient, monkeypatch: pytest.MonkeyPatch,
                                                       platform: Platform) -> None:
    # The feed is chosen by the token's user, never by a parameter: extra parameters change nothing.
    from api.routers import notifications

    subscribed: list[int] = []

    async def frames(_request: object, _hub: object, user_id: int):  # type: ignore[no-untyped-def]
        subscribed.append(user_id)
        yield ": conectado\n\n"

    monkeypatch.setattr(notifications, "_notification_frames", frames)
    laura = auth_headers(client, LAURA)
    andres_id = user_row(platform, ANDRES).id
    response = client.get("/v1/notifications/stream", params={"user_id": andres_id, "buyer_id": "BUY-002"},
                          headers=laura)
    assert response.status_code == 200
    assert subscribed == [user_row(platform, LAURA).id]
