"""search_knowledge through the agents' tool path: cited passages, and the honest empty answer."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from knowledge import KnowledgeBase, open_client
from knowledge.documents import corpus_dir
from tests.tools.conftest import LAURA, Harness
from tools.support import NO_KNOWLEDGE


@pytest.fixture(scope="module")
def returns_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    folder = tmp_path_factory.mktemp("kb-tools")
    (folder / "corpus").mkdir()
    shutil.copy(corpus_dir() / "devoluciones.md", folder / "corpus" / "devoluciones.md")
    kb = KnowledgeBase(open_client(path=folder / "chroma"), corpus_dir=folder / "corpus")
    kb.index()
    return kb


@pytest.fixture
def registered(returns_kb: KnowledgeBase, harness: Harness) -> Iterator[None]:
    harness.knowledge = returns_kb.retriever()
    yield


@pytest.mark.usefixtures("registered")
def test_passages_carry_their_citation(harness: Harness) -> None:
    out = harness.call(LAURA, "search_knowledge", {"query": "¿Cuántos días tengo para devolver un producto?"})
    assert out.status == "ok"
    passages = out.result["data"]  # type: ignore[index]
    assert passages and len(passages) <= 4
    plazo = [p for p in passages if p["heading_path"].endswith("Plazo para retractarte: 5 días hábiles")]
    assert plazo and "5 días hábiles" in plazo[0]["text"]
    for p in passages:
        assert p["source"] == "devoluciones.md" and p["chunk_id"].startswith("devoluciones-")
        assert p["citation"] == "Fuente: Devoluciones y derecho de retracto"
    assert "Fuente: Devoluciones y derecho de retracto" in out.result["message"]  # type: ignore[index]


@pytest.mark.usefixtures("registered")
def test_nothing_answers_says_so(harness: Harness) -> None:
    out = harness.call(LAURA, "search_knowledge", {"query": "¿quién ganó el partido de Nacional anoche?"})
    assert out.result == {"status": "ok", "message": NO_KNOWLEDGE, "data": []}


def test_untitled_passage_cites_its_file(harness: Harness) -> None:
    harness.knowledge = lambda q: [{"text": "Bogotá: 1 a 2 días hábiles.", "source": "envios.md"}, {}]
    out = harness.call(LAURA, "search_knowledge", {"query": "envíos a Bogotá"})
    assert out.result["data"] == [{"text": "Bogotá: 1 a 2 días hábiles.", "source": "envios.md",  # type: ignore[index]
                                   "citation": "Fuente: envios.md"}]
