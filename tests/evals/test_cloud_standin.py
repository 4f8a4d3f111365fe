"""The cloud stand-in (evals/cloud_standin.py) behind the real router and the real OpenAI client.

A complex internal-level turn goes to the stand-in over HTTP; with `mask_internal_for_cloud` the
request it receives carries placeholders, never the email or the name, and the tool call and the
reply that come back through the router carry the original values again. Without masking the
values travel in clear — which is what the masking-cost measurement compares.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from agents.offline import OfflineChatModel
from evals.cloud_standin import CloudStandIn
from evals.options import RunOptions
from evals.ragas_compat import ragas_available
from router.models import ModelRegistry, RouterConfig
from router.policy import load_default_policy
from router.recording import RoutingRecord
from router.routed_model import RoutedChatModel
from tools.support import escalate_to_human

EMAIL = "laura.gomez@example.co"
NAME = "Laura Gómez"
ASK = f"Soy {NAME}, escríbanme a {EMAIL}: quiero hablar con alguien del equipo"
SYSTEM = SystemMessage("Eres el asistente de soporte de MeStocker.")


class _OfflineSpy(OfflineChatModel):
    """The offline model, counting its calls: the router's last resort must not be the one answering."""

    calls: int = 0

    def _generate(self, *args: object, **kwargs: object) -> object:  # type: ignore[override]
        self.calls += 1
        return super()._generate(*args, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def standin() -> Iterator[CloudStandIn]:
    server = CloudStandIn(OfflineChatModel()).start()
    yield server
    server.stop()


def _router(server: CloudStandIn, *, mask: bool) -> tuple[RoutedChatModel, list[RoutingRecord], _OfflineSpy]:
    config = RouterConfig(openai_api_key="standin-key", openai_base_url=server.base_url, openai_model="gpt-4o-mini",
                          anthropic_model="claude-haiku-4-5", timeout_s=10, max_retries=0)
    last_resort = _OfflineSpy()
    records: list[RoutingRecord] = []
    policy = replace(load_default_policy(), complexity_threshold=0.0, mask_internal_for_cloud=mask)
    registry = ModelRegistry.from_config(config, offline_model=last_resort)
    return RoutedChatModel(registry=registry, policy=policy, sink=records.append), records, last_resort


def _invoke(router: RoutedChatModel, messages: list[BaseMessage]) -> AIMessage:
    answer = router.bind_tools([escalate_to_human]).invoke(messages)
    assert isinstance(answer, AIMessage)
    return answer


def _conversation_after(call: AIMessage) -> list[BaseMessage]:
    """The turn after the tool ran: its result carries the person's email and name (a cue the name recognizer
    needs: a bare name after a comma is not detected, see docs/evals.md)."""
    result = {"status": "ok", "message": f"Listo: abrí el caso TCK-00001. Te escribiremos a {EMAIL}. "
                                         f"Cliente: {NAME}.",
              "data": {"id": "TCK-00001"}}
    return [SYSTEM, HumanMessage(ASK), call, ToolMessage(json.dumps(result, ensure_ascii=False),
                                                         tool_call_id=call.tool_calls[0]["id"] or "")]


def test_masked_turn_reaches_the_standin_masked_and_comes_back_restored(standin: CloudStandIn) -> None:
    router, records, last_resort = _router(standin, mask=True)

    call = _invoke(router, [SYSTEM, HumanMessage(ASK)])

    # The stand-in (not the router's own offline fallback) answered with a real tool call…
    assert last_resort.calls == 0
    assert records[-1].model == "openai:gpt-4o-mini" and records[-1].masked
    assert records[-1].classification == "internal"
    assert [c["name"] for c in call.tool_calls] == ["escalate_to_human"]
    wire_call = standin.answers[-1]["tool_calls"][0]
    assert wire_call["function"]["name"] == "escalate_to_human"
    # …built from placeholders: the request carried none of the values, the arguments it returned neither,
    sent = standin.bodies[-1]
    assert EMAIL not in sent and "Laura" not in sent
    assert "<EMAIL_ADDRESS_1>" in sent and "<PERSON_1>" in sent
    assert "<EMAIL_ADDRESS_1>" in wire_call["function"]["arguments"]
    # …and the router put the email back in the arguments the tool will run with.
    summary = call.tool_calls[0]["args"]["summary"]
    assert EMAIL in summary and "<EMAIL_ADDRESS" not in summary

    reply = _invoke(router, _conversation_after(call))

    assert last_resort.calls == 0 and records[-1].masked
    assert not reply.tool_calls
    sent = standin.bodies[-1]
    assert EMAIL not in sent and "Gómez" not in sent  # the tool result and the earlier call went masked too
    assert "Cliente: <PERSON_1>" in sent  # the same placeholder as in the user's message
    wire_reply = str(standin.answers[-1]["content"])
    assert "TCK-00001" in wire_reply and "<EMAIL_ADDRESS_1>" in wire_reply
    assert "TCK-00001" in reply.text and EMAIL in reply.text and "<EMAIL_ADDRESS" not in reply.text


def test_without_masking_the_values_reach_the_standin_in_clear(standin: CloudStandIn) -> None:
    router, records, last_resort = _router(standin, mask=False)

    call = _invoke(router, [SYSTEM, HumanMessage(ASK)])

    assert last_resort.calls == 0 and records[-1].model == "openai:gpt-4o-mini" and not records[-1].masked
    assert EMAIL in standin.bodies[-1] and "<EMAIL_ADDRESS" not in standin.bodies[-1]
    assert [c["name"] for c in call.tool_calls] == ["escalate_to_human"]
    assert EMAIL in call.tool_calls[0]["args"]["summary"]


def test_a_streamed_request_gets_the_same_tool_call(standin: CloudStandIn) -> None:
    from langchain_openai import ChatOpenAI

    client = ChatOpenAI(model="gpt-4o-mini", base_url=standin.base_url, api_key="standin-key",  # type: ignore[arg-type]
                        max_retries=0, streaming=True)

    call = client.bind_tools([escalate_to_human]).invoke([SYSTEM, HumanMessage(ASK)])

    assert isinstance(call, AIMessage)
    assert [c["name"] for c in call.tool_calls] == ["escalate_to_human"]
    assert json.loads(standin.bodies[-1])["stream"] is True


@pytest.mark.skipif(not ragas_available(), reason="ragas not installed (pip install -e '.[evals]')")
def test_the_eval_runner_routes_internal_turns_to_the_standin(tmp_path: Path) -> None:
    """`--cloud-standin --cloud-threshold 0 --mask-internal on` on pii-008: the task's turns are answered by
    the stand-in (over the task's catalog), masked, and the ticket the task opens quotes the real email."""
    from evals.suite import run_suite

    options = RunOptions(split="dev", out=tmp_path, only=("pii-008",), progress=False, cloud_standin=True,
                         cloud_threshold=0.0, mask_internal=True)
    report = run_suite(options)

    run = report["runs"][0]
    assert report["meta"]["policy"] == {"mask_internal_for_cloud": True, "complexity_threshold": 0.0}
    assert report["meta"]["cloud_requests"] == len(run["cloud_bodies"]) > 0
    assert {row["model"] for row in run["routing_rows"]} == {"openai:gpt-4o-mini"}
    assert report["meta"]["masked_calls"] == sum(row["masked"] for row in run["routing_rows"]) > 0
    assert all(EMAIL not in body and "<EMAIL_ADDRESS_1>" in body for body in run["cloud_bodies"])
    [call] = run["turns"][0]["tool_calls"]
    assert call["name"] == "escalate_to_human" and EMAIL in call["args"]["summary"]
    assert report["scores"][0]["success"]
