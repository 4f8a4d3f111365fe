"""Measure retrieval on the versioned retrieval set: recall@1, recall@3, MRR, and the relevance threshold.

Gold answers are written as (source file, heading) and resolved to chunk ids at run time, so editing
a document changes its chunk ids without invalidating the set. Run `python -m knowledge.evaluation`
to print the tables that docs/knowledge.md reports.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.base import KnowledgeBase
from knowledge.chunking import Chunk
from knowledge.retrieval import Passage, RelevanceGate, RetrievalMode, best_signals, combine
from knowledge.store import open_client

DEV, HELDOUT = "dev", "heldout"


@dataclass(frozen=True)
class Case:
    id: str
    split: str
    question: str
    gold: frozenset[str]  # chunk ids that answer it; empty for an unanswerable question


@dataclass(frozen=True)
class Scores:
    n: int
    recall_at_1: float
    recall_at_3: float
    mrr: float


class RetrievalSetError(ValueError):
    """A gold answer names a section that the corpus does not have."""


def default_set_path() -> Path:
    return Path(str(resources.files("knowledge") / "eval" / "retrieval-set.json"))


def load_cases(chunks: Sequence[Chunk], path: Path | None = None) -> tuple[list[Case], list[Case]]:
    """(answerable, unanswerable) cases with gold chunk ids resolved against `chunks`."""
    raw = json.loads((path or default_set_path()).read_text(encoding="utf-8"))
    answerable = [Case(c["id"], c["split"], c["question"], _resolve(c, chunks)) for c in raw["answerable"]]
    unanswerable = [Case(c["id"], c["split"], c["question"], frozenset()) for c in raw["unanswerable"]]
    return answerable, unanswerable


def _resolve(case: dict[str, Any], chunks: Sequence[Chunk]) -> frozenset[str]:
    ids: set[str] = set()
    for answer in case["answers"]:
        found = {c.chunk_id for c in chunks if c.source == answer["source"] and c.headings[-1:] == (answer["heading"],)}
        if not found:
            raise RetrievalSetError(f"{case['id']}: no hay sección «{answer['heading']}» en {answer['source']}")
        ids |= found
    return frozenset(ids)


def first_hit(ranked_ids: Sequence[str], gold: Iterable[str]) -> int | None:
    """1-based rank of the first gold chunk, or None."""
    wanted = set(gold)
    return next((rank for rank, cid in enumerate(ranked_ids, start=1) if cid in wanted), None)


def score(ranks: Sequence[int | None]) -> Scores:
    """recall@k counts a question as found when any gold chunk is in the top k; MRR averages 1/rank."""
    n = len(ranks)
    if not n:
        return Scores(0, 0.0, 0.0, 0.0)
    return Scores(n=n, recall_at_1=sum(1 for r in ranks if r == 1) / n,
                  recall_at_3=sum(1 for r in ranks if r is not None and r <= 3) / n,
                  mrr=sum(1.0 / r for r in ranks if r is not None) / n)


Signals = tuple[float, float]  # (best dense similarity, best BM25 score) of one question


@dataclass(frozen=True)
class GateRates:
    answerable_kept: float  # share of answerable questions the gate admits
    unanswerable_rejected: float  # share of unanswerable questions it turns away

    @property
    def balanced(self) -> float:
        return (self.answerable_kept + self.unanswerable_rejected) / 2


def rates(gate: RelevanceGate, answerable: Sequence[Signals], unanswerable: Sequence[Signals]) -> GateRates:
    kept = sum(1 for d, k in answerable if gate.admits(similarity=d, keyword=k)) / max(len(answerable), 1)
    rejected = sum(1 for d, k in unanswerable if not gate.admits(similarity=d, keyword=k)) / max(len(unanswerable), 1)
    return GateRates(kept, rejected)


def pick_gate(answerable: Sequence[Signals], unanswerable: Sequence[Signals]) -> RelevanceGate:
    """The gate with the best balanced accuracy, searched over the observed values (first best wins)."""
    observed = [*answerable, *unanswerable]
    cuts = np.array(sorted({round(d, 3) for d, _ in observed}))
    keywords = np.array(sorted({round(k, 2) for _, k in observed}))
    pos, neg = np.array(answerable, dtype=float).reshape(-1, 2), np.array(unanswerable, dtype=float).reshape(-1, 2)

    def admitted(signals: np.ndarray, dense: float, floor: float) -> np.ndarray:
        """Per keyword cut: how many of `signals` the gate (dense, floor, keyword) admits."""
        strong = signals[:, 0] >= dense
        middle = (signals[:, 0] >= floor)[:, None] & (signals[:, 1][:, None] >= keywords[None, :])
        return np.asarray((strong[:, None] | middle).sum(axis=0))

    best, best_score = RelevanceGate(0.0, 0.0, 0.0), -1.0
    for dense in cuts:
        for floor in cuts[cuts <= dense]:
            kept = admitted(pos, dense, floor) / max(len(pos), 1)
            rejected = 1 - admitted(neg, dense, floor) / max(len(neg), 1)
            balanced = (kept + rejected) / 2
            i = int(np.argmax(balanced))
            if balanced[i] > best_score:
                best, best_score = RelevanceGate(float(dense), float(floor), float(keywords[i])), float(balanced[i])
    return best


@dataclass(frozen=True)
class Observation:
    """What the rankers returned for one question, kept so every mode is scored from one query."""

    case: Case
    dense: list[Passage]
    keyword: list[Passage]

    @property
    def signals(self) -> Signals:
        return best_signals(self.dense, self.keyword)

    def rank(self, mode: RetrievalMode) -> int | None:
        return first_hit([p.chunk_id for p in combine(self.dense, self.keyword, mode)], self.case.gold)


def observe(kb: KnowledgeBase, cases: Sequence[Case]) -> list[Observation]:
    """Run each question once through `kb`."""
    return [Observation(c, *kb.both(c.question)) for c in cases]


def scores(observations: Sequence[Observation], mode: RetrievalMode, split: str | None = None) -> Scores:
    return score([o.rank(mode) for o in observations if split in (None, o.case.split)])


def signals_of(observations: Sequence[Observation], split: str | None = None) -> list[Signals]:
    return [o.signals for o in observations if split in (None, o.case.split)]


def report(kb: KnowledgeBase, path: Path | None = None) -> str:
    """Markdown tables: each mode on dev and held-out, then the gate picked on dev and the configured one."""
    answerable, unanswerable = load_cases(kb.chunks(), path)
    seen, unseen = observe(kb, answerable), observe(kb, unanswerable)
    lines = ["| set-up | split | n | recall@1 | recall@3 | MRR |", "|---|---|---|---|---|---|"]
    for mode in RetrievalMode:
        for split in (DEV, HELDOUT):
            s = scores(seen, mode, split)
            lines.append(f"| {mode} | {split} | {s.n} | {s.recall_at_1:.3f} | {s.recall_at_3:.3f} | {s.mrr:.3f} |")
    picked = pick_gate(signals_of(seen, DEV), signals_of(unseen, DEV))
    lines += ["", "| gate | split | answerable kept | unanswerable rejected |", "|---|---|---|---|"]
    for name, gate in (("picked on dev", picked), ("configured", kb.gate)):
        for part in (DEV, HELDOUT, None):
            r = rates(gate, signals_of(seen, part), signals_of(unseen, part))
            lines.append(f"| {name}: dense ≥ {gate.dense:.3f} or (≥ {gate.dense_floor:.3f} and BM25 ≥ "
                         f"{gate.keyword:.2f}) | {part or 'all'} | {r.answerable_kept:.3f} | "
                         f"{r.unanswerable_rejected:.3f} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    with tempfile.TemporaryDirectory(prefix="mestocker-kb-eval-") as folder:
        kb = KnowledgeBase(open_client(path=Path(folder)))
        kb.index()
        print(report(kb, Path(args[0]) if args else None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
