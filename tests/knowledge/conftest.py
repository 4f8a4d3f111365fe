"""One indexed knowledge base per backend (embedded directory, `chroma run` server), shared by the session.

Indexing embeds every chunk (~25 s on two cores), so each backend indexes once and the retrieval
tests read from it; tests that write use their own small corpus in a temp dir.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from knowledge import KnowledgeBase, open_client
from knowledge.documents import corpus_dir
from knowledge.evaluation import Case, Observation, load_cases, observe

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

BACKENDS = ["embedded", "server"]


@pytest.fixture(scope="session")
def embedded_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    kb = KnowledgeBase(open_client(path=tmp_path_factory.mktemp("kb") / "chroma"))
    kb.index()
    return kb


@pytest.fixture(scope="session")
def server_kb(chroma_url: str) -> KnowledgeBase:
    kb = KnowledgeBase(open_client(url=chroma_url))
    kb.index()
    return kb


@pytest.fixture(scope="session", params=BACKENDS)
def kb(request: pytest.FixtureRequest) -> KnowledgeBase:
    """The full corpus, indexed, on each backend in turn: the same tests run against both."""
    return request.getfixturevalue(f"{request.param}_kb")


@pytest.fixture(scope="session")
def retrieval_set(embedded_kb: KnowledgeBase) -> tuple[list[Case], list[Case]]:
    return load_cases(embedded_kb.chunks())


_OBSERVED: dict[int, tuple[list[Observation], list[Observation]]] = {}


@pytest.fixture(scope="session")
def observations(kb: KnowledgeBase, retrieval_set: tuple[list[Case], list[Case]]
                 ) -> tuple[list[Observation], list[Observation]]:
    """Every retrieval-set question run once through `kb`: (answerable, unanswerable)."""
    if id(kb) not in _OBSERVED:
        answerable, unanswerable = retrieval_set
        _OBSERVED[id(kb)] = (observe(kb, answerable), observe(kb, unanswerable))
    return _OBSERVED[id(kb)]


@pytest.fixture
def small_corpus(tmp_path: Path) -> Callable[..., Path]:
    """Copy some shipped documents into a temp corpus folder that a test may edit."""

    def make(*names: str) -> Path:
        folder = tmp_path / "corpus"
        folder.mkdir(exist_ok=True)
        for name in names:
            shutil.copy(corpus_dir() / name, folder / name)
        return folder

    return make
