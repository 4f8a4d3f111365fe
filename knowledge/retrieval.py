"""Ranking chunks for a question: dense (Chroma + e5), keyword (BM25) and reciprocal-rank fusion.

Each ranker returns every candidate it has, best first, without a cut-off; `KnowledgeBase.search`
applies the relevance threshold and the top-k. The numbers that chose the default are in
docs/knowledge.md.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Any

from chromadb.api.models.Collection import Collection

with warnings.catch_warnings():
    # langchain-community warns on import that it is being sunset; BM25Retriever works and is pinned
    # (docs/knowledge.md says what replaces it), so the warning would only be noise at every start.
    warnings.simplefilter("ignore", DeprecationWarning)
    from langchain_community.retrievers import BM25Retriever

from commerce.shared.text import fold

# Cormack et al. (2009): k = 60 makes fusion insensitive to the rankers' score scales.
RRF_K = 60
# How deep each ranker's list goes into the fusion; the corpus is small, this only bounds work.
FUSION_DEPTH = 30

_WORD = re.compile(r"[a-z0-9ñ]+")
# Function words only: domain words ("dias", "envio") must stay, they carry the question.
_STOPWORD_TEXT = """
a al algo ante con contra como cual cuales cuando de del desde donde el ella ellos en entre era es esa ese eso
esta este esto estos fue ha hay la las le les lo los me mi mis muy nos o os para pero por que se si sin sobre
su sus te tu tus un una uno unos y ya yo q k pa xq porq porque oye hola buenas gracias porfa favor
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
# Spanish words share a stem in their first letters ("devolver", "devolucion"); five is the classic
# prefix length that works for Spanish retrieval without a stemmer.
PREFIX = 5


class RetrievalMode(StrEnum):
    DENSE = "dense"
    BM25 = "bm25"
    FUSION = "fusion"


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with what a citation needs; `similarity` is the dense cosine similarity."""

    text: str
    title: str
    heading_path: str
    source: str
    chunk_id: str
    score: float
    similarity: float

    def as_mapping(self) -> dict[str, Any]:
        return asdict(self)


def keyword_tokens(text: str) -> list[str]:
    """Fold accents and case, drop function words, keep a 5-letter prefix of each word."""
    return [word[:PREFIX] for word in _WORD.findall(fold(text)) if word not in STOPWORDS]


def _passage(chunk_id: str, document: str, meta: Mapping[str, Any], score: float, similarity: float) -> Passage:
    body = document.split("\n\n", 1)[-1]  # the stored document is "heading path\n\nbody"
    return Passage(text=body, title=str(meta.get("title", "")), heading_path=str(meta.get("heading_path", "")),
                   source=str(meta.get("source", "")), chunk_id=chunk_id, score=score, similarity=similarity)


class Rankers:
    """Dense and BM25 ranking over one collection; BM25 is built from the collection's own documents."""

    def __init__(self, collection: Collection) -> None:
        self._collection = collection
        got = collection.get(include=["documents", "metadatas"])  # type: ignore[list-item]
        self._ids: list[str] = list(got["ids"])
        self._documents: list[str] = list(got.get("documents") or [])
        self._metadatas: list[Mapping[str, Any]] = [m or {} for m in (got.get("metadatas") or [])]
        self._bm25 = (BM25Retriever.from_texts(self._documents, ids=self._ids, preprocess_func=keyword_tokens)
                      if self._ids else None)

    def __len__(self) -> int:
        return len(self._ids)

    def dense(self, query: str) -> list[Passage]:
        """All chunks by cosine similarity to the query (e5 "query:" side)."""
        if not self._ids:
            return []
        got = self._collection.query(query_texts=[query], n_results=len(self._ids),
                                     include=["documents", "metadatas", "distances"])  # type: ignore[list-item]
        ids, docs = got["ids"][0], (got.get("documents") or [[]])[0]
        metas, dists = (got.get("metadatas") or [[]])[0], (got.get("distances") or [[]])[0]
        return [_passage(i, d, m or {}, 1.0 - dist, 1.0 - dist) for i, d, m, dist in zip(ids, docs, metas, dists,
                                                                                         strict=True)]

    def bm25(self, query: str, similarities: Mapping[str, float] | None = None) -> list[Passage]:
        """Chunks sharing at least one keyword with the query, by BM25 (Okapi) score."""
        if self._bm25 is None:
            return []
        scores = self._bm25.vectorizer.get_scores(keyword_tokens(query))
        order = sorted((i for i, s in enumerate(scores) if s > 0), key=lambda i: -scores[i])
        sims = similarities or {}
        return [_passage(self._ids[i], self._documents[i], self._metadatas[i], float(scores[i]),
                         sims.get(self._ids[i], 0.0)) for i in order]

    def both(self, query: str) -> tuple[list[Passage], list[Passage]]:
        """The dense and the BM25 list; BM25 passages carry their dense similarity too."""
        dense = self.dense(query)
        return dense, self.bm25(query, {p.chunk_id: p.similarity for p in dense})

    def rank(self, query: str, mode: RetrievalMode) -> list[Passage]:
        return combine(*self.both(query), mode)


def combine(dense: list[Passage], keyword: list[Passage], mode: RetrievalMode) -> list[Passage]:
    """The ranking a mode uses: one of the lists, or their reciprocal-rank fusion."""
    if mode is RetrievalMode.DENSE:
        return dense
    if mode is RetrievalMode.BM25:
        return keyword
    return fuse([dense[:FUSION_DEPTH], keyword[:FUSION_DEPTH]])


@dataclass(frozen=True)
class RelevanceGate:
    """When does anything answer? The best chunk must be close in meaning (dense similarity ≥ `dense`),
    or fairly close (≥ `dense_floor`) while sharing rare words with the question (top BM25 ≥ `keyword`).

    e5 scores every Spanish text 0.78–0.93 against these documents, so similarity alone either
    rejects good questions or admits off-topic ones; keyword evidence separates the middle band.
    The values are chosen on the retrieval set's dev split (knowledge.evaluation.pick_gate).
    """

    dense: float
    dense_floor: float
    keyword: float

    def admits(self, *, similarity: float, keyword: float) -> bool:
        return similarity >= self.dense or (similarity >= self.dense_floor and keyword >= self.keyword)


def best_signals(dense: Sequence[Passage], keyword: Sequence[Passage]) -> tuple[float, float]:
    """(best dense similarity, best BM25 score) of a question."""
    return (dense[0].similarity if dense else 0.0), (keyword[0].score if keyword else 0.0)


def fuse(rankings: Sequence[Sequence[Passage]], k: int = RRF_K) -> list[Passage]:
    """Reciprocal-rank fusion: score = Σ 1 / (k + rank); the first list's passage object is kept."""
    scores: dict[str, float] = {}
    first: dict[str, Passage] = {}
    for ranking in rankings:
        for rank, passage in enumerate(ranking, start=1):
            scores[passage.chunk_id] = scores.get(passage.chunk_id, 0.0) + 1.0 / (k + rank)
            first.setdefault(passage.chunk_id, passage)
    order = sorted(scores, key=lambda cid: -scores[cid])
    return [replace(first[cid], score=scores[cid]) for cid in order]
