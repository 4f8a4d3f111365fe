"""Answers with sources, end to end: the real chat service (supervisor, agents, offline model, tools) over
the seeded platform and the whole corpus indexed in Chroma, as a buyer would ask in the web chat, over
the chat API and on WhatsApp."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from langchain_core.messages import ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import func, select

from agents.chat import ChatService
from agents.offline.answers import NO_ANSWER, OFFER_PERSON
from agents.threads import thread_config
from api.app import create_app
from commerce.identity.principal import Principal, Role
from commerce.support import SupportTicket
from infra.bootstrap import Platform, build_chat_service, routed_model, router_config
from infra.channels.whatsapp_client import WhatsAppConfig
from knowledge import KnowledgeBase, open_client
from knowledge.documents import corpus_dir
from router.classifier import Level, classify
from router.log import LlmRoutingLog
from tests.agents.conftest import LAURA, conversation
from tests.channels.conftest import LAURA_WA, fake_graph, post_signed, text_payload, wa_config
from tests.channels.fake_graph import FakeGraphAPI
from tests.conftest import auth_headers
from tools.support import citation

MAFE = Principal.for_role(user_id=8, email="mafe.diaz@example.co", role=Role.COMPRADOR, buyer_id="BUY-003")
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
__all__ = ["fake_graph", "wa_config"]  # the WhatsApp channel's fixtures, used by the webhook test below

RETURNS = citation("Devoluciones y derecho de retracto")
# The six policy questions of issue 9, as buyers and sellers type them (no accents, typos, WhatsApp
# spelling), each with facts the answer must state and the document it must cite.
POLICY_QUESTIONS = [
    ("cuantos dias tengo pa devolver un producto?", ["5 días hábiles", "desde la entrega"], RETURNS),
    ("q medios de pago aceptan?", ["Nequi", "PSE", "MercadoPago"], citation("Medios de pago")),
    ("cuanto se demora un envio a pasto", ["2 a 4 días hábiles", "Pasto"], citation("Envíos y tiempos de entrega")),
    ("cuanto dura la garantia de unos audifonos", ["12 meses"], citation("Garantía legal")),
    ("en cuanto tiempo me responden una consulta o un reclamo sobre mis datos personales",
     ["10 días hábiles", "15 días hábiles"], citation("Protección de datos personales")),
    ("cuanto cobran de comision a los vendedores", ["10 %"], citation("Vendedores y tarifas de fulfillment")),
]
UNANSWERABLE = "cual es la politica de puntos y millas pa clientes frecuentes?"


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    """The shipped corpus, indexed once for the module (embedding every chunk takes ~30 s on two cores)."""
    base = KnowledgeBase(open_client(path=tmp_path_factory.mktemp("kb-chat") / "chroma"))
    base.index()
    return base


@pytest.fixture
def chat(platform: Platform, kb: KnowledgeBase) -> ChatService:
    return build_chat_service(platform, InMemorySaver(), record_routing=False, knowledge=kb.retriever())


def _called(turn: object) -> list[str]:
    return [c.name for c in turn.tool_calls]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("question", "facts", "source"), POLICY_QUESTIONS)
def test_policy_questions_get_the_sentence_that_answers_and_its_source(
        chat: ChatService, question: str, facts: list[str], source: str) -> None:
    turn = conversation(chat, LAURA)(question)
    assert "search_knowledge" in _called(turn)
    for fact in facts:
        assert fact in turn.reply, (question, turn.reply)
    assert source in turn.reply
    # The sentence(s) that answer, not the passages: the reply is far shorter than what was retrieved.
    assert len(turn.reply) < 700, turn.reply


def test_return_days_answer_is_one_sentence_with_its_source(chat: ChatService) -> None:
    reply = conversation(chat, LAURA)("¿Cuántos días tengo para devolver un producto?").reply
    answer, _, sources = reply.partition("\n\n")
    assert "5 días hábiles" in answer and "desde la entrega" in answer
    assert sources == RETURNS
    assert "30 días calendario" not in reply  # the refund sentence of the next chunk does not answer this


def test_an_unanswerable_question_is_answered_honestly_and_offers_a_person(chat: ChatService,
                                                                           platform: Platform) -> None:
    say = conversation(chat, LAURA)
    turn = say(UNANSWERABLE)
    assert _called(turn) == ["search_knowledge"]
    assert turn.reply.startswith("No tengo esa información") and OFFER_PERSON in turn.reply
    assert "Fuente:" not in turn.reply
    accepted = say("si porfa")
    assert _called(accepted) == ["escalate_to_human"]
    assert "abrí el caso" in accepted.reply
    with platform.read_uow() as uow:
        summaries = list(uow.session.scalars(select(SupportTicket.summary)))
    assert len(summaries) == 1 and "puntos y millas" in summaries[0]


def test_an_empty_index_answers_honestly(platform: Platform) -> None:
    """The knowledge base of the settings (an empty data dir here): the chat says it has no information."""
    turn = conversation(build_chat_service(platform, InMemorySaver(), record_routing=False), LAURA)(
        "cuantos dias tengo para devolver un producto")
    assert turn.reply == f"{NO_ANSWER} {OFFER_PERSON}"


def test_a_policy_question_about_an_order_uses_the_order_and_the_policy(chat: ChatService) -> None:
    turn = conversation(chat, MAFE)("¿puedo devolver el pedido 1003?")
    assert _called(turn) == ["search_knowledge", "track_shipment"]
    assert "ORD-1003 fue entregado el" in turn.reply
    assert "5 días hábiles" in turn.reply and RETURNS in turn.reply


def test_an_order_question_that_asks_a_policy_too(chat: ChatService) -> None:
    turn = conversation(chat, MAFE)("quiero devolver el pedido 1003")
    assert _called(turn) == ["get_order", "search_knowledge"]
    assert "ORD-1003" in turn.reply and "entregado" in turn.reply and RETURNS in turn.reply


def test_someone_elses_order_is_refused_and_never_shown(chat: ChatService) -> None:
    turn = conversation(chat, LAURA)("¿puedo devolver el pedido 1003?")
    assert "track_shipment" in _called(turn)
    assert "entregado el" not in turn.reply and "CO987654321" not in turn.reply
    # Someone else's order answers like a missing one (docs/identity.md: 404 for what the caller may not see).
    assert "No encontramos el pedido ORD-1003" in turn.reply


def test_knowledge_turns_are_classified_public_by_the_real_router(platform: Platform, kb: KnowledgeBase) -> None:
    """Passages are public text: every model call of the turn (the one that reads them too) is public or
    internal, so the policy may send it to the cloud when one is configured."""
    chat = build_chat_service(platform, InMemorySaver(), knowledge=kb.retriever())
    turn = conversation(chat, LAURA, thread="kb-router")("cuantos dias tengo pa devolver un producto?")
    assert RETURNS in turn.reply
    passages = kb.retriever()("cuantos dias tengo pa devolver un producto?")
    assert all(str(classify(p["text"]).level) in ("public", "internal") for p in passages)
    with platform.read_uow() as uow:
        rows = list(uow.session.execute(select(LlmRoutingLog.classification, LlmRoutingLog.policy_target)))
    assert len(rows) >= 3  # supervisor, support's tool call, support's answer over the passages
    assert {level for level, _ in rows} <= {"public", "internal"}


# ----- the chat API and WhatsApp -------------------------------------------------------------------------


@pytest.fixture
def returns_indexed(platform: Platform, tmp_path: Path) -> Iterator[None]:
    """The returns document indexed where the settings put the knowledge base (as `make run` does)."""
    folder = tmp_path / "corpus-api"
    folder.mkdir()
    shutil.copy(corpus_dir() / "devoluciones.md", folder / "devoluciones.md")
    KnowledgeBase(open_client(path=platform.settings.chroma_path), corpus_dir=folder).index()
    yield


@pytest.mark.usefixtures("returns_indexed")
def test_chat_api_answers_with_sources(platform: Platform) -> None:
    with TestClient(create_app(platform, background_worker=False)) as client:
        headers = auth_headers(client, "laura.gomez@example.co")
        answered = client.post("/v1/chat/threads/kb-1/messages", headers=headers,
                               json={"message": "cuantos dias tengo pa devolver un producto"})
        assert answered.status_code == 200, answered.text
        body = answered.json()
        assert "5 días hábiles" in body["reply"] and body["reply"].endswith(RETURNS)
        assert [c["name"] for c in body["tool_calls"]] == ["search_knowledge"]
        unknown = client.post("/v1/chat/threads/kb-2/messages", headers=headers, json={"message": UNANSWERABLE})
        assert unknown.status_code == 200 and unknown.json()["reply"].startswith("No tengo esa información")


@pytest.mark.usefixtures("returns_indexed")
def test_whatsapp_gets_the_same_cited_text(platform: Platform, fake_graph: FakeGraphAPI,
                                           wa_config: WhatsAppConfig) -> None:
    """The WhatsApp webhook runs the real chat service of the lifespan; the text sent back is the web reply."""
    question = "cuantos dias tengo pa devolver un producto"
    app = create_app(platform, background_worker=False)
    with TestClient(app) as client:
        app.state.whatsapp = wa_config
        assert post_signed(client, text_payload(LAURA_WA, question, "wamid.kb1")).status_code == 200
        web = client.post("/v1/chat/threads/kb-web/messages", headers=auth_headers(client, "laura.gomez@example.co"),
                          json={"message": question}).json()["reply"]
    sent = fake_graph.requests[-1].body["text"]["body"]
    assert sent == web and "5 días hábiles" in sent and sent.endswith(RETURNS)


def test_no_ticket_without_consent(chat: ChatService, platform: Platform) -> None:
    """The offer is a question: saying nothing more (or "no") opens no case."""
    say = conversation(chat, LAURA)
    say(UNANSWERABLE)
    declined = say("no gracias")
    assert "escalate_to_human" not in _called(declined)
    with platform.read_uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(SupportTicket)) == 0


COMPLEX_POLICY = ("Compara paso a paso la politica de devoluciones con la garantia legal y explica cual me conviene "
                  "mas si el producto llego con una falla, con ventajas y desventajas de cada opcion.")


def test_a_turn_over_passages_may_go_to_the_cloud_when_one_is_configured(chat: ChatService,
                                                                         platform: Platform) -> None:
    """The router plans the answering call (question, tool call, passages) like any other: public, and a
    complex public turn may use the configured cloud model."""
    turn = conversation(chat, LAURA, thread="kb-cloud")(COMPLEX_POLICY)
    assert "search_knowledge" in _called(turn)
    messages = chat.graph.get_state(thread_config(LAURA, "kb-cloud")).values["messages"]
    passages = [m for m in messages if isinstance(m, ToolMessage) and m.name == "search_knowledge"]
    assert passages and "Fuente:" in passages[0].text
    settings = platform.settings.model_copy(update={"openai_api_key": "sk-test",
                                                    "openai_base_url": "http://127.0.0.1:9/v1"})
    plan = routed_model(platform, config=router_config(settings)).plan(messages)
    assert plan.classification.level in (Level.PUBLIC, Level.INTERNAL)
    assert plan.decision.policy_target == "cloud" and any(m.startswith("openai") for m in plan.decision.chain)


# Held-out phrasings (docs/knowledge.md, "Measured"). Batch k was written after the composer and passed
# 5/15 on its first run; its routing misses then drove keyword/cue fixes (9/15 after), so it is now a
# regression set. Batch b was written before those fixes: 3/14 on its first run, 4/14 after them. The gates
# keep both from getting worse; raising them needs fixes measured on a new batch.
def _load(name: str) -> list[dict[str, object]]:
    text = (Path(__file__).parent / "data" / name).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


HELDOUT_GATES = [("knowledge_heldout.jsonl", 9), ("knowledge_heldout_b.jsonl", 4)]


def _heldout_passes(chat: ChatService, case: dict[str, object]) -> bool:
    reply = chat.send(principal=LAURA, thread_id=f"heldout-{case['id']}", message=str(case["text"])).reply
    if case.get("unanswerable"):
        return reply.startswith("No tengo esa información")
    facts = case["facts"]
    assert isinstance(facts, list)
    return all(str(f) in reply for f in facts) and citation(str(case["source"])) in reply


@pytest.mark.parametrize(("name", "gate"), HELDOUT_GATES)
def test_heldout_phrasings_gate(chat: ChatService, name: str, gate: int) -> None:
    cases = _load(name)
    passed = sum(_heldout_passes(chat, case) for case in cases)
    assert passed >= gate, f"{name}: {passed}/{len(cases)}"
