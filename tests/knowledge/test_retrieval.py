"""Retrieval measured on the versioned set, on the embedded store and on a `chroma run` server.

The gates are the numbers measured for docs/knowledge.md minus about one question's worth of margin.
"""

from __future__ import annotations

import pytest

from knowledge import KnowledgeBase, RetrievalMode
from knowledge.base import DEFAULT_MODE, RELEVANCE_GATE
from knowledge.evaluation import DEV, HELDOUT, Case, Observation, pick_gate, rates, scores, signals_of
from tools.knowledge_hook import PASSAGE_FIELDS

Observed = tuple[list[Observation], list[Observation]]

# Measured 2026-12-01 (docs/knowledge.md): fusion recall@3 0.980 dev / 0.875 held-out; the gate keeps
# 0.878 of the answerable questions and rejects 0.958 of the unanswerable ones.
RECALL_AT_3 = {DEV: 0.98 - 0.04, HELDOUT: 0.875 - 0.045}
ANSWERABLE_KEPT = 0.878 - 0.045
UNANSWERABLE_REJECTED = 0.958 - 0.045


def test_the_set_is_large_enough_and_a_third_is_held_out(retrieval_set: tuple[list[Case], list[Case]]) -> None:
    answerable, unanswerable = retrieval_set
    assert len(answerable) >= 60 and len(unanswerable) >= 15
    for cases in retrieval_set:
        held = sum(1 for c in cases if c.split == HELDOUT) / len(cases)
        assert 0.3 <= held <= 0.36
    assert all(c.gold for c in answerable)


@pytest.mark.parametrize("split", [DEV, HELDOUT])
def test_recall_at_3_of_the_default_set_up(observations: Observed, split: str) -> None:
    result = scores(observations[0], DEFAULT_MODE, split)
    assert result.recall_at_3 >= RECALL_AT_3[split], result


def test_the_default_set_up_is_the_best_on_dev(observations: Observed) -> None:
    mrr = {mode: scores(observations[0], mode, DEV).mrr for mode in RetrievalMode}
    assert max(mrr, key=lambda m: mrr[m]) is DEFAULT_MODE, mrr


def test_gate_rejects_unanswerable_and_keeps_answerable(observations: Observed) -> None:
    answerable, unanswerable = observations
    result = rates(RELEVANCE_GATE, signals_of(answerable), signals_of(unanswerable))
    assert result.unanswerable_rejected >= UNANSWERABLE_REJECTED, result
    assert result.answerable_kept >= ANSWERABLE_KEPT, result


def test_configured_gate_is_as_good_as_the_one_picked_on_dev(observations: Observed) -> None:
    dev = signals_of(observations[0], DEV), signals_of(observations[1], DEV)
    picked = pick_gate(*dev)
    assert rates(RELEVANCE_GATE, *dev).balanced >= rates(picked, *dev).balanced - 0.01


@pytest.mark.parametrize(("question", "source", "heading"), [
    ("¿Cuántos días tengo para devolver un producto?", "devoluciones.md", "Plazo para retractarte: 5 días hábiles"),
    ("¿Qué medios de pago tienen?", "medios-de-pago.md", None),
    ("¿Cuánto se demora un envío a Pasto?", "envios.md", "Ciudades intermedias: 2 a 4 días hábiles"),
    ("¿Cuánto dura la garantía de unos audífonos?", "garantia.md", "Productos de tecnología: 12 meses"),
    ("¿En cuánto tiempo responden un reclamo sobre mis datos?", "datos-personales.md",
     "Plazos de respuesta: consultas y reclamos"),
    ("¿Cuánto cobran de almacenamiento a los vendedores?", "vendedores.md", "Tarifas de fulfillment"),
])
def test_policy_questions_get_their_section(kb: KnowledgeBase, question: str, source: str,
                                            heading: str | None) -> None:
    passages = kb.search(question, k=3)
    assert passages and any(p.source == source and (heading is None or p.heading_path.endswith(heading))
                            for p in passages), [p.heading_path for p in passages]


def test_unanswerable_question_gets_no_passage(kb: KnowledgeBase) -> None:
    assert kb.search("¿Quién ganó el partido de Nacional anoche?") == []
    assert kb.search("   ") == []


def test_retriever_matches_the_tool_hook_contract(kb: KnowledgeBase) -> None:
    [first, *_] = kb.retriever()("puedo pagar con nequi?")
    assert set(PASSAGE_FIELDS) <= set(first)
    assert first["title"] == "Medios de pago" and first["source"] == "medios-de-pago.md"
    assert first["heading_path"].endswith("Nequi") and first["chunk_id"].startswith("medios-de-pago-")
    assert "Nequi" in first["text"] and isinstance(first["score"], float)
