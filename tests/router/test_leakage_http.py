"""Leakage over real HTTP: real ChatOpenAI/ChatAnthropic clients against fake local and cloud servers.

No sensitive or confidential message, history or tool result may ever reach a cloud server, also
when the local server answers 500 or refuses connections; a complex public turn does reach the
cloud, and a cloud outage falls back to Anthropic, then local.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from router.models import ModelRegistry, RouterConfig
from router.policy import Policy
from router.recording import RoutingRecord
from router.routed_model import RoutedChatModel
from tests.router.conftest import FakeChatModel
from tests.router.fake_llm_servers import FakeLlmServer, closed_port

COMPLEX = "Compara los dos planes de envío y recomiéndame uno explicando por qué"
SECRETS = {
    "health": "Tengo diabetes tipo 2 y estoy embarazada",
    "religion": "Soy testigo de Jehová, no me manden anchetas",
    "cedula": "Mi cédula es 1.020.304.050",
    "card": "Pagué con la tarjeta 4111 1111 1111 1111",
    "nequi": "Devuélvanme la plata a mi Nequi 3105551234",
    "account": "Consignen a la cuenta de ahorros Bancolombia 123-456789-01",
}
# Fragments that must never appear in anything the cloud servers receive.
MARKERS = ["diabetes", "embarazada", "Jehová", "Jehov", "1.020.304.050", "1020304050", "4111 1111", "3105551234",
           "123-456789-01"]  # fmt: skip


def conversations(secret: str) -> dict[str, list[BaseMessage]]:
    """The secret as the latest message, in earlier history, and inside a tool result."""
    call = {"name": "get_customer", "args": {"customer": "me"}, "id": "call_1", "type": "tool_call"}
    return {
        "latest": [SystemMessage("Eres el asistente de MeStocker."), HumanMessage(f"{secret}. {COMPLEX}")],
        "history": [HumanMessage(secret), AIMessage("Entendido."), HumanMessage(COMPLEX)],
        "tool_result": [
            HumanMessage(COMPLEX),
            AIMessage("", tool_calls=[call]),
            ToolMessage(f'{{"status": "ok", "data": "{secret}"}}', tool_call_id="call_1"),
        ],
    }


@pytest.fixture
def servers() -> Iterator[dict[str, FakeLlmServer]]:
    started = {
        "local": FakeLlmServer("openai", "respuesta local").start(),
        "openai": FakeLlmServer("openai", "respuesta openai").start(),
        "anthropic": FakeLlmServer("anthropic", "respuesta anthropic").start(),
    }
    yield started
    for server in started.values():
        server.stop()


def routed(
    servers: dict[str, FakeLlmServer], policy: Policy, *, local_url: str | None = None
) -> tuple[RoutedChatModel, list[RoutingRecord]]:
    config = RouterConfig(
        local_llm_base_url=local_url or servers["local"].base_url,
        local_llm_model="qwen-local",
        local_llm_api_key="local-key",
        openai_api_key="sk-test",
        openai_base_url=servers["openai"].base_url,
        anthropic_api_key="sk-ant-test",
        anthropic_base_url=servers["anthropic"].base_url,
        timeout_s=5,
        max_retries=0,
        breaker_failures=100,
        openai_model="gpt-4o-mini",
        anthropic_model="claude-haiku-4-5",
    )
    records: list[RoutingRecord] = []
    registry = ModelRegistry.from_config(config, offline_model=FakeChatModel(reply="respuesta offline"))
    return RoutedChatModel(registry=registry, policy=policy, sink=records.append), records


def assert_cloud_untouched(servers: dict[str, FakeLlmServer]) -> None:
    for name in ("openai", "anthropic"):
        text = servers[name].received_text()
        assert servers[name].bodies == [], f"{name} received {len(servers[name].bodies)} requests"
        assert not any(marker in text for marker in MARKERS)


@pytest.mark.parametrize("local_state", ["up", "500", "refused"])
def test_sensitive_never_reaches_the_cloud(servers: dict[str, FakeLlmServer], policy: Policy, local_state: str) -> None:
    if local_state == "500":
        servers["local"].status = 500
    url = f"http://127.0.0.1:{closed_port()}/v1" if local_state == "refused" else None
    model, records = routed(servers, policy, local_url=url)
    expected = "respuesta local" if local_state == "up" else "respuesta offline"
    for secret in SECRETS.values():
        for shape, messages in conversations(secret).items():
            answer = model.invoke(messages)
            assert answer.content == expected, (shape, records[-1].errors)
            assert records[-1].classification in ("sensitive", "confidential"), shape
            assert records[-1].policy_target == "local"
    assert_cloud_untouched(servers)
    if local_state != "refused":
        # The local server did receive the sensitive text: that is where it is allowed to go.
        assert any("1.020.304.050" in str(body) for body in servers["local"].bodies)


def test_complex_public_turn_reaches_the_cloud(servers: dict[str, FakeLlmServer], policy: Policy) -> None:
    model, records = routed(servers, policy)
    answer = model.invoke([HumanMessage(COMPLEX)])
    assert answer.content == "respuesta openai"
    assert servers["openai"].paths == ["/v1/chat/completions"]
    assert servers["openai"].bodies[0]["model"] == "gpt-4o-mini"
    assert records[-1].model == "openai:gpt-4o-mini" and records[-1].tokens_in == 11
    assert servers["local"].bodies == []


def test_cloud_outage_falls_back_to_anthropic_then_local(servers: dict[str, FakeLlmServer], policy: Policy) -> None:
    model, records = routed(servers, policy)
    servers["openai"].status = 500
    assert model.invoke([HumanMessage(COMPLEX)]).content == "respuesta anthropic"
    body = servers["anthropic"].bodies[-1]
    assert servers["anthropic"].paths[-1] == "/v1/messages" and body["messages"][-1]["role"] == "user"
    assert records[-1].tried == ["openai:gpt-4o-mini", "anthropic:claude-haiku-4-5"]
    servers["anthropic"].status = 500
    assert model.invoke([HumanMessage(COMPLEX)]).content == "respuesta local"
    assert records[-1].outcome == "fallback"


def test_simple_public_turn_stays_local(servers: dict[str, FakeLlmServer], policy: Policy) -> None:
    model, _ = routed(servers, policy)
    assert model.invoke([HumanMessage("¿Hay café en Medellín?")]).content == "respuesta local"
    assert_cloud_untouched(servers)


def test_internal_text_is_masked_for_the_cloud(servers: dict[str, FakeLlmServer], policy: Policy) -> None:
    masking = Policy(**{**policy.__dict__, "mask_internal_for_cloud": True})
    model, records = routed(servers, masking)
    servers["openai"].reply = "Listo, te escribo a <EMAIL_ADDRESS_1>"
    answer = model.invoke([HumanMessage(f"Mi correo es laura.restrepo@gmail.com. {COMPLEX}")])
    sent = servers["openai"].received_text()
    assert "laura.restrepo" not in sent and "<EMAIL_ADDRESS_1>" in sent
    assert answer.content == "Listo, te escribo a laura.restrepo@gmail.com" and records[-1].masked
