"""RoutedChatModel with fake models: decisions, fail-closed fallback, tools, records."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest
from langchain_anthropic import ChatAnthropic
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI

from router.breaker import BreakerState, CircuitBreaker
from router.models import ModelRegistry, RegisteredModel
from router.policy import Policy
from router.recording import RoutingRecord, collect_records, current_request_id
from router.routed_model import UNAVAILABLE_TEXT, RoutedChatModel, message_text
from tests.router.conftest import FakeChatModel, FakeClock
from tests.router.fake_llm_servers import FakeLlmServer, Wire

COMPLEX_PUBLIC = "Compara el café de Huila con el de Nariño y recomiéndame uno explicando por qué"
SENSITIVE = "Tengo diabetes, compara los endulzantes y dime cuál me conviene y por qué"


class Setup:
    def __init__(self, policy: Policy, clock: FakeClock, *, local_fails: bool = False, cloud_fails: bool = False):
        self.local = FakeChatModel(reply="respuesta local", fail=local_fails)
        self.cloud = FakeChatModel(reply="respuesta nube", fail=cloud_fails, usage=None)
        self.offline = FakeChatModel(reply="respuesta offline")
        self.records: list[RoutingRecord] = []

        def breaker() -> CircuitBreaker:
            return CircuitBreaker(failure_threshold=2, open_seconds=30, clock=clock)

        self.registry = ModelRegistry(
            [
                RegisteredModel("local:a", "local", self.local, breaker()),
                RegisteredModel("openai:x", "cloud", self.cloud, breaker()),
                RegisteredModel("offline", "offline", self.offline, breaker()),
            ]
        )
        self.model = RoutedChatModel(registry=self.registry, policy=policy, sink=self.records.append)


def test_simple_public_turn_goes_local(policy: Policy, clock: FakeClock) -> None:
    s = Setup(policy, clock)
    answer = s.model.invoke([HumanMessage("¿Hay café en Medellín?")])
    assert answer.content == "respuesta local" and not s.cloud.calls
    record = s.records[-1]
    assert (record.policy_target, record.model, record.outcome, record.fallback) == ("local", "local:a", "ok", False)
    assert answer.response_metadata["routing"] == record.summary()


def test_complex_public_turn_goes_to_cloud(policy: Policy, clock: FakeClock) -> None:
    s = Setup(policy, clock)
    assert s.model.invoke([HumanMessage(COMPLEX_PUBLIC)]).content == "respuesta nube"
    assert s.records[-1].policy_target == "cloud" and s.records[-1].model == "openai:x"


def test_cloud_outage_falls_back_to_local(policy: Policy, clock: FakeClock) -> None:
    s = Setup(policy, clock, cloud_fails=True)
    assert s.model.invoke([HumanMessage(COMPLEX_PUBLIC)]).content == "respuesta local"
    record = s.records[-1]
    assert record.outcome == "fallback" and record.fallback and record.tried == ["openai:x", "local:a"]
    assert record.errors == ["openai:x: ConnectionError"]


@pytest.mark.parametrize("local_fails", [False, True])
def test_sensitive_never_reaches_cloud(policy: Policy, clock: FakeClock, local_fails: bool) -> None:
    s = Setup(policy, clock, local_fails=local_fails)
    answer = s.model.invoke([HumanMessage(SENSITIVE)])
    assert not s.cloud.calls
    assert answer.content == ("respuesta offline" if local_fails else "respuesta local")
    assert s.records[-1].classification == "sensitive" and s.records[-1].chain == ["local:a", "offline"]


def test_everything_down_gives_the_spanish_message(policy: Policy, clock: FakeClock) -> None:
    s = Setup(policy, clock, local_fails=True)
    s.offline.fail = True
    answer = s.model.invoke([HumanMessage("mi cédula es 1.020.304.050, ¿compara los planes?")])
    assert answer.content == UNAVAILABLE_TEXT and not s.cloud.calls
    assert s.records[-1].outcome == "unavailable" and s.records[-1].model is None


def test_sensitive_history_keeps_the_thread_local(policy: Policy, clock: FakeClock) -> None:
    s = Setup(policy, clock)
    history = [
        SystemMessage("Eres el asistente de MeStocker."),
        HumanMessage("Soy testigo de Jehová, no me manden anchetas navideñas"),
        AIMessage("Entendido."),
        HumanMessage(COMPLEX_PUBLIC),
    ]
    s.model.invoke(history)
    assert not s.cloud.calls and s.records[-1].classification == "sensitive"
    # Once the sensitive message is out of the context, complex turns may go to the cloud again.
    s.model.invoke([history[0], HumanMessage(COMPLEX_PUBLIC)])
    assert len(s.cloud.calls) == 1


def test_content_blocks_are_classified_like_plain_text(policy: Policy, clock: FakeClock) -> None:
    # Providers and multimodal clients send lists of content blocks; their text is classified too.
    s = Setup(policy, clock)
    blocks: list[str | dict[str, Any]] = [{"type": "text", "text": "Tengo diabetes."}, f" {COMPLEX_PUBLIC}"]
    s.model.invoke([HumanMessage(content=blocks)])
    assert not s.cloud.calls and s.records[-1].classification == "sensitive"
    assert message_text(HumanMessage(content=blocks)) == f"Tengo diabetes. {COMPLEX_PUBLIC}"


def test_tool_results_and_tool_args_are_classified(policy: Policy, clock: FakeClock) -> None:
    s = Setup(policy, clock)
    call = {"name": "get_customer", "args": {"order_id": "ORD-1001"}, "id": "c1", "type": "tool_call"}
    history = [
        HumanMessage(COMPLEX_PUBLIC),
        AIMessage("", tool_calls=[call]),
        ToolMessage('{"status": "ok", "data": {"cedula": "CC 1.020.304.050"}}', tool_call_id="c1"),
    ]
    s.model.invoke(history)
    assert not s.cloud.calls and s.records[-1].classification == "confidential"
    args_call = {"name": "pay", "args": {"card": "4111 1111 1111 1111"}, "id": "c2", "type": "tool_call"}
    s.model.invoke([HumanMessage(COMPLEX_PUBLIC), AIMessage("", tool_calls=[args_call])])
    assert not s.cloud.calls and s.records[-1].entities == {"CREDIT_CARD": 1}


def test_open_breaker_is_skipped_then_probed(policy: Policy, clock: FakeClock) -> None:
    s = Setup(policy, clock, local_fails=True)
    for _ in range(2):
        s.model.invoke([HumanMessage("hola")])
    assert len(s.local.calls) == 2
    s.model.invoke([HumanMessage("hola")])
    assert len(s.local.calls) == 2 and s.records[-1].errors == ["local:a: circuit open"]
    assert s.records[-1].model == "offline"
    s.local.fail = False
    clock.advance(31)
    assert s.model.invoke([HumanMessage("hola")]).content == "respuesta local"


def test_bind_tools_binds_each_underlying_model(policy: Policy, clock: FakeClock) -> None:
    @tool
    def get_stock(sku: str) -> str:
        """Devuelve el stock de un SKU."""
        return "10"

    s = Setup(policy, clock, cloud_fails=True)
    bound = s.model.bind_tools([get_stock])
    answer = bound.invoke([HumanMessage(COMPLEX_PUBLIC)])
    assert answer.response_metadata["tools"] == ["get_stock"]
    assert s.cloud.calls and s.local.calls  # both got the call, both with the tool bound
    assert s.model.bound_tools == []  # the original is untouched


def test_masking_internal_for_cloud(policy: Policy, clock: FakeClock) -> None:
    s = Setup(policy, clock)
    s.cloud.reply = "Le escribiremos a <EMAIL_ADDRESS_1>"
    s.model = RoutedChatModel(
        registry=s.registry,
        policy=Policy(**{**policy.__dict__, "mask_internal_for_cloud": True}),
        sink=s.records.append,
    )
    answer = s.model.invoke([HumanMessage(f"Mi correo es ana@gmail.com. {COMPLEX_PUBLIC}")])
    sent = s.cloud.calls[-1][-1].content
    assert "ana@gmail.com" not in sent and "<EMAIL_ADDRESS_1>" in sent
    assert answer.content == "Le escribiremos a ana@gmail.com" and s.records[-1].masked


def test_a_masked_json_tool_result_stays_json(policy: Policy, clock: FakeClock) -> None:
    """A knowledge passage quoting the company's email after a line break: JSON-escaped as `\\n` before the
    address. Masked as raw text the email swallowed the `n` and left an invalid `\\<` escape (measured with
    the cloud stand-in, docs/evals.md); masked value by value the result parses and keeps its line break."""
    import json

    s = Setup(policy, clock)
    masking = Policy(**{**policy.__dict__, "mask_internal_for_cloud": True})
    s.model = RoutedChatModel(registry=s.registry, policy=masking, sink=s.records.append)
    passage = {"status": "ok", "data": [{"text": "Escríbenos al correo\ndatos@mestocker.co o por el chat."}]}
    call = {"name": "search_knowledge", "args": {"query": "como borro mis datos"}, "id": "c1", "type": "tool_call"}
    s.model.invoke([HumanMessage(COMPLEX_PUBLIC), AIMessage("", tool_calls=[call]),
                    ToolMessage(json.dumps(passage, ensure_ascii=False), tool_call_id="c1")])

    assert s.records[-1].masked and s.records[-1].model == "openai:x"
    sent = json.loads(str(s.cloud.calls[-1][-1].content))
    assert sent["data"][0]["text"] == "Escríbenos al correo\n<EMAIL_ADDRESS_1> o por el chat."


def test_context_sink_and_request_id(policy: Policy, clock: FakeClock) -> None:
    s = Setup(policy, clock)
    model = RoutedChatModel(registry=s.registry, policy=policy)
    token = current_request_id.set("req-42")
    try:
        with collect_records() as records:
            model.invoke([HumanMessage("hola")])
            model.invoke([HumanMessage("mi correo es ana@gmail.com")])
    finally:
        current_request_id.reset(token)
    assert [r.request_id for r in records] == ["req-42", "req-42"]
    assert records[1].summary() == {
        "classification": "internal",
        "entities": ["EMAIL_ADDRESS"],
        "policy_target": "local",
        "model": "local:a",
        "fallback": False,
        "reason": records[1].reason,
    }
    model.invoke([HumanMessage("hola")])
    assert len(records) == 2


def test_records_never_hold_raw_values(policy: Policy, clock: FakeClock) -> None:
    s = Setup(policy, clock)
    text = "Soy Ana Gómez, CC 1.020.304.050, cel 3105551234, Calle 80 # 12-34, ana@gmail.com, tengo diabetes"
    s.model.invoke([HumanMessage(text)])
    dumped = str(dataclasses.asdict(s.records[-1]))
    for raw in ("Ana Gómez", "1.020.304.050", "3105551234", "Calle 80", "ana@gmail.com", "diabetes"):
        assert raw not in dumped


def test_usage_metadata_is_recorded(policy: Policy, clock: FakeClock) -> None:
    s = Setup(policy, clock)
    s.local.usage = {"input_tokens": 12, "output_tokens": 5, "total_tokens": 17}
    s.model.invoke([HumanMessage("hola")])
    assert (s.records[-1].tokens_in, s.records[-1].tokens_out) == (12, 5)


def test_async_path(policy: Policy, clock: FakeClock) -> None:
    s = Setup(policy, clock, local_fails=True)
    answer = asyncio.run(s.model.ainvoke([HumanMessage(SENSITIVE)]))
    assert answer.content == "respuesta offline" and not s.cloud.calls


def _client(server: FakeLlmServer) -> BaseChatModel:
    if server.wire == "openai":
        return ChatOpenAI(model="m", base_url=server.base_url, api_key="k", timeout=5, max_retries=0)  # type: ignore[arg-type]
    return ChatAnthropic(model="m", base_url=server.base_url, api_key="k", timeout=5, max_retries=0)  # type: ignore[call-arg,arg-type]


def _http_registry(server: FakeLlmServer, breaker: CircuitBreaker, clock: FakeClock) -> ModelRegistry:
    offline = FakeChatModel(reply="respuesta offline")
    return ModelRegistry([RegisteredModel("local:a", "local", _client(server), breaker),
                          RegisteredModel("offline", "offline", offline, CircuitBreaker(clock=clock))])


@pytest.mark.parametrize("wire", ["openai", "anthropic"])
@pytest.mark.parametrize(("status", "outage"), [(400, False), (404, False), (429, True), (500, True), (503, True)])
def test_only_outages_open_the_breaker_over_http(
    policy: Policy, clock: FakeClock, wire: Wire, status: int, outage: bool
) -> None:
    server = FakeLlmServer(wire, "respuesta local").start()
    try:
        server.status = status
        breaker = CircuitBreaker(failure_threshold=2, open_seconds=30, clock=clock)
        registry = _http_registry(server, breaker, clock)
        records: list[RoutingRecord] = []
        model = RoutedChatModel(registry=registry, policy=policy, sink=records.append)
        for _ in range(3):  # a refused request still fails over to the next model in the chain
            assert model.invoke([HumanMessage("hola")]).content == "respuesta offline"
        assert (breaker.state is BreakerState.OPEN) is outage
        assert len(server.bodies) == (2 if outage else 3)
        if outage:
            assert records[-1].errors == ["local:a: circuit open"]
        else:
            assert records[-1].errors[0].endswith(f"Error {status}"), records[-1].errors
        server.status = 200
        clock.advance(31)  # past the open interval: an open breaker lets a probe through
        assert model.invoke([HumanMessage("hola")]).content == "respuesta local"
        assert breaker.state is BreakerState.CLOSED
    finally:
        server.stop()


def test_a_refused_probe_closes_the_circuit_instead_of_wedging_it(policy: Policy, clock: FakeClock) -> None:
    server = FakeLlmServer("openai", "respuesta local").start()
    try:
        breaker = CircuitBreaker(failure_threshold=1, open_seconds=30, clock=clock)
        registry = _http_registry(server, breaker, clock)
        model = RoutedChatModel(registry=registry, policy=policy)
        server.status = 503
        model.invoke([HumanMessage("hola")])
        assert breaker.state is BreakerState.OPEN
        clock.advance(31)
        server.status = 400  # the probe reaches a provider that is up but refuses this request
        assert model.invoke([HumanMessage("hola")]).content == "respuesta offline"
        assert breaker.state is BreakerState.CLOSED and breaker.allow()
    finally:
        server.stop()
