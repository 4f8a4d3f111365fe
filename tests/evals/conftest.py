"""A synthetic eval report (no ragas, no chat): three dev tasks, two repeats, one task failing once."""

from __future__ import annotations

from typing import Any

import pytest

from evals.metrics import Score, aggregate
from evals.runner import TaskRun, TurnOutcome
from evals.tasks import load_tasks


@pytest.fixture
def synthetic_report() -> dict[str, Any]:
    return _report()


def _report() -> dict[str, Any]:
    tasks = [t for t in load_tasks("dev") if t.id in ("inv-001", "ord-001", "sec-001")]
    scores = [Score(t.id, r, 1.0 if t.id != "ord-001" else 0.5, 1.0, 1, int(r == 0), [] if r == 0 else ["enviado"],
                    True, 1, 1, [("public", "public")], 0, False if t.attack else None, [], r == 0 or t.id != "ord-001",
                    [120.0]) for t in tasks for r in range(2)]
    runs = [TaskRun(s.task_id, s.repeat, [TurnOutcome("hola", "respuesta", "order", [], None, {}, 120.0)]).as_dict()
            for s in scores]
    return {"meta": {"model": "router", "ragas": "0.4.3", "started_at": "-", "repeats": 2},
            "splits": {"dev": aggregate(tasks, scores, repeats=2)}, "gate": {"passed": True, "failures": []},
            "tasks": [t.model_dump(mode="json") for t in tasks],
            "scores": [s.__dict__ for s in scores], "runs": runs}
