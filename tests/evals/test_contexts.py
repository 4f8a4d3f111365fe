"""Context precision/recall on knowledge tasks: reference sections, what a real run retrieved, the scores.

The real run is one knowledge task (sup-001) through the chat service on the offline model, with the
knowledge base indexed into the run's data folder; the retrieved passages are read back from the
thread's checkpoint state. ragas scores them when it is importable (the overlay, `make test`); the
"not run" path is checked by making ragas' context metrics unavailable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import evals.metrics as metrics_module
from evals.contexts import UnresolvedReference, corpus_chunks, reference_chunks, retrieved_contexts
from evals.gate import check
from evals.metrics import SCORED, Score, aggregate, context_scores
from evals.ragas_compat import CONTEXT_METRICS_NOT_RUN, context_metrics
from evals.report import render_html
from evals.runner import TaskRun, prepare_world, run_task
from evals.tasks import ReferenceSource, Split, Task, load_tasks

needs_context_metrics = pytest.mark.skipif(context_metrics() is None,
                                           reason="ragas' context metrics are not importable (MESTOCKER_EVALS_SITE)")


def _task(task_id: str) -> Task:
    return next(t for t in load_tasks("all") if t.id == task_id)


def test_every_knowledge_task_names_reference_sections_that_resolve() -> None:
    tasks = [t for t in load_tasks("all") if t.is_knowledge]
    assert {t.split for t in tasks} == set(Split)
    ids = {c.chunk_id for c in corpus_chunks()}
    for task in tasks:
        chunks = reference_chunks(task)  # raises when a section is not in the corpus
        assert chunks and {c.chunk_id for c in chunks} <= ids, task.id
        for ref in task.reference_sources:
            assert any(c.source == ref.source and c.headings[-1] == ref.heading for c in chunks), (task.id, ref)


def test_a_reference_section_the_corpus_lacks_is_an_error() -> None:
    task = _task("sup-001")
    typo = task.model_copy(update={"reference_sources": [ReferenceSource(source="devoluciones.md",
                                                                         heading="Plazo para retractarse")]})
    with pytest.raises(UnresolvedReference, match="Plazo para retractarse"):
        reference_chunks(typo)
    other_file = task.model_copy(update={"reference_sources": [
        task.reference_sources[0].model_copy(update={"source": "envios.md"})]})
    with pytest.raises(UnresolvedReference, match=r"envios\.md"):
        reference_chunks(other_file)


def test_a_knowledge_task_without_reference_sources_is_refused() -> None:
    raw = _task("sup-001").model_dump(exclude={"reference_sources"})
    with pytest.raises(ValueError, match="reference_sources"):
        Task.model_validate(raw)
    not_knowledge = _task("inv-001").model_dump()
    with pytest.raises(ValueError, match="reference_sources"):
        Task.model_validate({**not_knowledge, "reference_sources": [{"source": "envios.md", "heading": "Cobertura"}]})


@pytest.fixture(scope="module")
def knowledge_run(tmp_path_factory: pytest.TempPathFactory) -> TaskRun:
    """sup-001 ("cuantos dias tengo pa devolver algo q compre?") run once through the offline model."""
    world = prepare_world(tmp_path_factory.mktemp("evals-contexts") / "work")
    return run_task(world, _task("sup-001"), model="offline")


def test_a_real_run_keeps_what_search_knowledge_retrieved(knowledge_run: TaskRun) -> None:
    assert knowledge_run.error is None
    [search] = knowledge_run.retrieved  # one user turn, one search
    assert search["query"].strip()
    by_id = {c.chunk_id: c for c in corpus_chunks()}
    assert search["passages"] and len(search["passages"]) <= 4
    for passage in search["passages"]:
        chunk = by_id[passage["chunk_id"]]  # a chunk of the shipped corpus, as the tool returned it
        assert passage["text"] == chunk.text and passage["source"] == chunk.source
    reference = {c.chunk_id for c in reference_chunks(_task("sup-001"))}
    assert reference & {p["chunk_id"] for p in search["passages"]}  # the retracto section was found
    # What the report keeps is what ragas is given: the texts, in rank order, each chunk once.
    doubled = [search, search]
    assert retrieved_contexts(doubled) == [p["text"] for p in search["passages"]]


@needs_context_metrics
def test_ragas_scores_the_real_run_against_the_reference_chunks(knowledge_run: TaskRun) -> None:
    task = _task("sup-001")
    precision, recall, status = context_scores(task, knowledge_run)
    assert status == SCORED
    ranked = [p["chunk_id"] for p in knowledge_run.retrieved[0]["passages"]]
    rank = 1 + next(i for i, cid in enumerate(ranked) if cid in {c.chunk_id for c in reference_chunks(task)})
    # One reference chunk: recall is whether it was retrieved, average precision is 1 / its rank.
    assert recall == 1.0
    assert precision == pytest.approx(1 / rank, abs=1e-6)
    # Nothing retrieved finds nothing; a retrieval of other sections only is not precise.
    empty = TaskRun(task.id, 0, retrieved=[])
    assert context_scores(task, empty) == (0.0, 0.0, SCORED)
    others = [p for p in knowledge_run.retrieved[0]["passages"] if p["chunk_id"] not in {ranked[rank - 1]}]
    wrong = TaskRun(task.id, 0, retrieved=[{"query": "-", "passages": others}])
    assert context_scores(task, wrong) == (0.0, 0.0, SCORED)
    assert context_scores(_task("inv-001"), knowledge_run) == (None, None, "")  # not a knowledge task


def _score(task_id: str, precision: float | None, recall: float | None, status: str) -> Score:
    return Score(task_id, 0, 1.0, 1.0, 1, 1, [], True, 0, 0, [], 0, None, [], True, [5.0], [],
                 precision, recall, status)


def test_aggregates_are_per_split_over_knowledge_runs_only() -> None:
    tasks = load_tasks("all")
    dev = [t for t in tasks if t.id in ("sup-001", "sup-002", "inv-001")]
    heldout = [t for t in tasks if t.id in ("ho-sup-001", "ho-inv-001")]
    dev_scores = [_score("sup-001", 1.0, 1.0, SCORED), _score("sup-002", 0.5, 0.0, SCORED),
                  _score("inv-001", None, None, "")]
    held_scores = [_score("ho-sup-001", 0.0, 0.0, SCORED), _score("ho-inv-001", None, None, "")]
    d, h = aggregate(dev, dev_scores, repeats=1), aggregate(heldout, held_scores, repeats=1)
    assert (d["context_precision"], d["context_recall"], d["context_runs"]) == (0.75, 0.5, 2)
    assert (h["context_precision"], h["context_recall"], h["context_runs"]) == (0.0, 0.0, 1)
    assert d["context_status"] == h["context_status"] == SCORED
    no_knowledge = aggregate([t for t in dev if not t.is_knowledge], dev_scores[2:], repeats=1)
    assert no_knowledge["context_precision"] is None and no_knowledge["context_runs"] == 0
    gates = {"dev": {"context_precision": 0.7, "context_recall": 0.6}, "heldout": {"context_recall": 0.0}}
    assert check({"dev": d, "heldout": h}, gates) == ["dev: context_recall = 0.500 < 0.60"]
    assert check({"dev": no_knowledge}, gates) == []  # no knowledge task chosen: nothing to gate


def _not_run_report(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setattr(metrics_module, "context_metrics", lambda: None)
    task = _task("sup-001")
    run = TaskRun(task.id, 0, retrieved=[{"query": "devolver", "passages": [
        {"chunk_id": "x", "source": "devoluciones.md", "heading_path": "a > b", "text": "Tienes 5 días hábiles"}]}])
    precision, recall, status = context_scores(task, run)
    assert (precision, recall, status) == (None, None, CONTEXT_METRICS_NOT_RUN)
    score = _score(task.id, precision, recall, status)
    split = aggregate([task], [score], repeats=1)
    return {"meta": {"model": "offline", "ragas": "-", "started_at": "-", "repeats": 1},
            "splits": {"dev": split}, "gate": {"passed": False, "failures": []},
            "tasks": [task.model_dump(mode="json")], "scores": [score.__dict__], "runs": [run.as_dict()]}


def test_without_ragas_the_context_metrics_are_not_run_never_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    report = _not_run_report(monkeypatch)
    dev = report["splits"]["dev"]
    assert dev["context_precision"] is None and dev["context_recall"] is None
    assert dev["context_runs"] == 1 and dev["context_status"] == CONTEXT_METRICS_NOT_RUN
    failures = check(report["splits"], {"dev": {"context_recall": 0.5}})
    assert failures == ["dev: context_recall no se midió (mínimo 0.50)"]  # not measured is not passed
    page = render_html(report)
    for label in ("Precisión de contexto", "Exhaustividad de contexto"):
        assert f"<td>{label} (ragas NonLLMContext" in page
        row = page.split(f"<td>{label} (ragas NonLLMContext", 1)[1].split("</tr>", 1)[0]
        assert "no se corrió" in row and "%" not in row
    assert "<td>sup-001</td><td>no se corrió" in page  # and per task


def test_the_report_shows_per_task_context_scores(tmp_path: Path) -> None:
    task = _task("ho-sup-003")
    run = TaskRun(task.id, 0, retrieved=[{"query": "envio zona rural", "passages": [
        {"chunk_id": "x", "source": "envios.md", "heading_path": "Envíos > Cobertura", "text": "-"}]}])
    score = _score(task.id, 0.25, 1.0, SCORED)
    report = {"meta": {"model": "offline", "ragas": "0.4.3", "started_at": "-", "repeats": 1},
              "splits": {"heldout": aggregate([task], [score], repeats=1)}, "gate": {"passed": True, "failures": []},
              "tasks": [task.model_dump(mode="json")], "scores": [score.__dict__], "runs": [run.as_dict()]}
    page = render_html(report)
    assert "Recuperación en tareas de conocimiento" in page and "ho-sup-003" in page
    assert "<td>0.250</td><td>1.000</td>" in page and "envios.md › Cobertura" in page
    assert "Zonas rurales y destinos apartados" in page  # the reference section
    assert "25.0 %" in page  # the split's precision in the summary table
