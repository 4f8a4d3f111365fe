"""The Graph API client against a local fake Graph API (real HTTP)."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from infra.channels.whatsapp_client import WhatsAppClient, WhatsAppConfig, WhatsAppSendError, build_whatsapp_client
from tests.channels.conftest import ACCESS_TOKEN, PHONE_NUMBER_ID
from tests.channels.fake_graph import FakeGraphAPI


def test_send_text_posts_to_the_phone_number_with_the_bearer_token(wa_client: WhatsAppClient,
                                                                    fake_graph: FakeGraphAPI) -> None:
    message_id = wa_client.send_text("573105550101", "Hola Laura")
    [request] = fake_graph.requests
    assert message_id == "wamid.fake-1"
    assert request.path == f"/v21.0/{PHONE_NUMBER_ID}/messages"
    assert request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert request.body["text"] == {"body": "Hola Laura", "preview_url": False}


def test_send_template_carries_the_text_as_a_body_parameter(wa_client: WhatsAppClient,
                                                            fake_graph: FakeGraphAPI) -> None:
    wa_client.send_template("573105550101", "actualizacion_pedido", parameters=["Tu pedido\nORD-1001  va en camino"])
    [body] = fake_graph.sent()
    assert body["type"] == "template"
    assert body["template"] == {
        "name": "actualizacion_pedido", "language": {"code": "es_CO"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "Tu pedido ORD-1001 va en camino"}]}],
    }


def test_send_buttons_clips_titles_and_limits_the_count(wa_client: WhatsAppClient, fake_graph: FakeGraphAPI) -> None:
    wa_client.send_buttons("573105550101", "¿Confirmas?", [("a", "Un título demasiado largo para WhatsApp")])
    [body] = fake_graph.sent()
    assert len(body["interactive"]["action"]["buttons"][0]["reply"]["title"]) == 20
    with pytest.raises(ValueError):
        wa_client.send_buttons("573105550101", "x", [("1", "a"), ("2", "b"), ("3", "c"), ("4", "d")])


def test_non_2xx_raises_a_typed_error(wa_client: WhatsAppClient, fake_graph: FakeGraphAPI) -> None:
    fake_graph.fail_next(1, status=400, error_code=131047)
    with pytest.raises(WhatsAppSendError) as caught:
        wa_client.send_text("573105550101", "Hola")
    assert caught.value.status_code == 400 and caught.value.error_code == 131047
    assert caught.value.window_closed
    assert "Hola" not in str(caught.value)


def test_timeouts_raise_a_typed_error(wa_config: WhatsAppConfig, fake_graph: FakeGraphAPI) -> None:
    fake_graph.delay_seconds = 1.0
    client = WhatsAppClient(wa_config, timeout=0.2)
    try:
        with pytest.raises(WhatsAppSendError, match="unreachable"):
            client.send_text("573105550101", "Hola")
    finally:
        client.close()


def test_config_reads_settings_like_objects() -> None:
    class FakeSettings:
        whatsapp_verify_token = "v"
        whatsapp_app_secret = SecretStr("s")
        whatsapp_access_token = "t"
        whatsapp_api_base_url = "http://127.0.0.1:9/v21.0/"
        whatsapp_phone_number_id = "42"

    config = WhatsAppConfig.from_settings(FakeSettings())
    assert config.app_secret.get_secret_value() == "s" and config.api_base_url == "http://127.0.0.1:9/v21.0"
    assert config.can_send and "s" not in repr(config.app_secret)
    assert WhatsAppConfig.from_settings(object()).api_base_url == "https://graph.facebook.com/v21.0"
    assert build_whatsapp_client(object()) is None
