"""The eval suite's own behaviour: task files, metrics, the gate, the report, and the dev split's gate.

ragas lives in the optional `evals` extra (its pins would downgrade openai in the main
environment); the tests that score runs skip without it. `make eval` installs it beside the
environment (var/evals-site; run these tests with it on PYTHONPATH, docs/evals.md).
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from evals.gate import GATES_FILE, check, load_gates
from evals.metrics import aggregate, pass_hat_k, score_run
from evals.options import TASKS_DIR, RunOptions
from evals.ragas_compat import ragas_available
from evals.runner import TaskRun, TurnOutcome
from evals.tasks import Agent, ExpectedCall, Split, Task, Turn, load_tasks

needs_ragas = pytest.mark.skipif(not ragas_available(), reason="ragas not installed (pip install -e '.[evals]')")

SLICE = ["inv-001", "inv-009", "sec-008"]  # a read, a confirmed write, a cross-tenant write attack


def test_task_files_cover_the_suite() -> None:
    tasks = load_tasks("all")
    assert len(tasks) >= 150
    assert sum(t.is_security for t in tasks) >= 50
    assert {t.agent for t in tasks} == set(Agent)
    for split in Split:
        part = [t for t in tasks if t.split == split]
        assert part and any(t.is_security for t in part), split
    kinds = {t.attack.kind for t in tasks if t.attack}
    assert {"bola_read", "bola_write", "bfla", "injection_user", "injection_data", "role_escalation",
            "confirmation_skip", "confirmation_replay", "exfiltration"} <= kinds
    assert any(len(t.turns) > 1 for t in tasks) and any(t.setup for t in tasks)


def test_a_write_without_its_confirmation_outcome_is_refused() -> None:
    with pytest.raises(ValueError, match="confirmed"):
        Task(id="x", agent=Agent.ORDER, category="single", principal="laura",
             turns=[Turn(user="cancela el 1004", facts=["ORD-1004"],
                         calls=[ExpectedCall(name="cancel_order", args={"order_id": "ORD-1004"})])])


def test_pass_hat_k_is_the_tau_bench_estimator() -> None:
    runs = {"a": [True, True, False, False], "b": [True, True, True, True]}
    assert pass_hat_k(runs, 1) == pytest.approx((0.5 + 1) / 2)
    assert pass_hat_k(runs, 2) == pytest.approx((1 / 6 + 1) / 2)  # C(2,2)/C(4,2) for "a"
    assert pass_hat_k(runs, 3) == pytest.approx((0 + 1) / 2)
    assert pass_hat_k(runs, 5) is None


def test_gate_fails_on_leaks_attacks_and_low_success() -> None:
    gates = load_gates(GATES_FILE)
    good = {"task_success": 1.0, "tool_call_accuracy": 1.0, "routing_accuracy": 1.0, "leaks": 0,
            "attack_success_rate": 0.0, "context_precision": 1.0, "context_recall": 1.0, "context_runs": 9}
    assert check({"dev": good}, gates) == []
    assert check({"dev": {**good, "leaks": 1}}, gates)
    assert check({"dev": {**good, "attack_success_rate": 0.02}}, gates)
    assert check({"dev": {**good, "task_success": 0.1}}, gates)
    assert check({"dev": {**good, "routing_accuracy": None}}, gates)  # not measured is not passed
    assert check({"dev": {**good, "context_recall": 0.5}}, gates)
    assert check({"dev": {**good, "context_recall": None}}, gates)  # knowledge tasks ran, ragas did not score
    assert not check({"dev": {**good, "context_recall": None, "context_precision": None, "context_runs": 0}}, gates)
    sample = {**good, "task_success": 0.82}
    assert check({"dev": sample}, gates) and not check({"dev": sample}, gates, "smoke")  # smoke has its own table


def test_gates_file_refuses_a_misspelt_threshold(tmp_path: Path) -> None:
    gates = tmp_path / "gates.toml"
    gates.write_text("[dev]\ntask_sucess = 0.9\n", encoding="utf-8")
    with pytest.raises(ValueError, match="task_sucess"):
        load_gates(gates)


def _run(task_id: str, calls: list[dict[str, object]], *, routing_rows: list[dict[str, object]] | None = None
         ) -> TaskRun:
    turn = TurnOutcome(user="-", reply="85 disponibles", agent="inventory", tool_calls=calls, pending=None,
                       routing={"classification": "public", "policy_target": "local"}, latency_ms=1.0)
    return TaskRun(task_id, 0, [turn], state_hash="h", expected_hash="h", routing_rows=routing_rows or [])


@needs_ragas
def test_protected_text_answered_by_a_cloud_model_counts_as_a_leak() -> None:
    task = next(t for t in load_tasks("dev") if t.id == "inv-001")
    call = {"name": "get_stock", "args": {"sku": "CAF-001", "warehouse": "MED"}, "status": "ok"}
    local = [{"classification": "confidential", "model": "offline", "tried": ["offline"]}]
    cloud = [{"classification": "sensitive", "model": "local:qwen", "tried": ["openai:gpt-4o-mini", "local:qwen"]}]
    assert score_run(task, _run(task.id, [call], routing_rows=local)).leaks == 0
    assert score_run(task, _run(task.id, [call], routing_rows=cloud)).leaks == 1


@pytest.fixture(scope="module")
def eval_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One output folder for this module's runs: the knowledge index in it is built once."""
    return tmp_path_factory.mktemp("evals-out")


@pytest.fixture(scope="module")
def slice_report(eval_out: Path) -> dict[str, object]:
    if not ragas_available():
        pytest.skip("ragas not installed (pip install -e '.[evals]')")
    from evals.suite import run_suite

    return run_suite(RunOptions(split="dev", out=eval_out, only=tuple(SLICE), progress=False))


@needs_ragas
def test_slice_runs_through_the_chat_and_scores_every_metric(slice_report: dict[str, object]) -> None:
    report: dict = slice_report  # type: ignore[assignment]
    dev = report["splits"]["dev"]
    assert dev["tasks"] == len(SLICE)
    scores = {s["task_id"]: s for s in report["scores"]}
    assert scores["inv-001"]["tool_call_accuracy"] == 1.0 and scores["inv-001"]["success"]
    # The confirmed transfer changed rows, and the replayed expectation changed the same ones.
    run = next(r for r in report["runs"] if r["task_id"] == "inv-009")
    assert run["touched"] and run["touched"] == run["expected_touched"]
    assert scores["sec-008"]["attack_succeeded"] is False
    assert dev["leaks"] == 0 and dev["latency_ms"]["turns"] >= 4


@needs_ragas
def test_a_wrong_expected_call_lowers_tool_call_accuracy(slice_report: dict[str, object]) -> None:
    report: dict = slice_report  # type: ignore[assignment]
    task = next(t for t in load_tasks("dev") if t.id == "inv-001")
    run_data = next(r for r in report["runs"] if r["task_id"] == "inv-001")
    run = TaskRun(**{**run_data, "turns": [TurnOutcome(**t) for t in run_data["turns"]]})
    wrong_turn = task.turns[0].model_copy(update={"calls": [ExpectedCall(name="get_stock",
                                                                         args={"sku": "CAF-001", "warehouse": "BAQ"})]})
    wrong = task.model_copy(update={"turns": [wrong_turn]})
    other_tool = task.model_copy(update={"turns": [wrong_turn.model_copy(
        update={"calls": [ExpectedCall(name="list_low_stock", args={})]})]})
    right, half, none = score_run(task, run), score_run(wrong, run), score_run(other_tool, run)
    assert right.tool_call_accuracy == 1.0
    assert 0.0 < half.tool_call_accuracy < 1.0
    assert none.tool_call_accuracy == 0.0 and none.tool_call_f1 == 0.0


@needs_ragas
def test_the_html_report_has_its_charts(slice_report: dict[str, object]) -> None:
    from evals.report import render_html

    page = render_html(slice_report)  # type: ignore[arg-type]
    assert 'class="chart" data-bars="' in page and "pass^k" in page and "<table class='summary'>" in page
    assert "cdn" not in page.lower() and "<script" not in page


@needs_ragas
def test_a_broken_task_fails_the_gate_with_a_non_zero_exit(tmp_path: Path, eval_out: Path) -> None:
    from evals.cli import run

    tasks_dir = tmp_path / "tasks"
    (tasks_dir / "dev").mkdir(parents=True)
    source = yaml.safe_load((TASKS_DIR / "dev" / "inventory.yaml").read_text(encoding="utf-8"))
    broken = next(t for t in source if t["id"] == "inv-009")
    broken["turns"][1]["user"] = "no"  # the expectation still says the transfer is confirmed
    (tasks_dir / "dev" / "broken.yaml").write_text(yaml.safe_dump([broken], allow_unicode=True), encoding="utf-8")
    gates = tmp_path / "gates.toml"
    shutil.copyfile(GATES_FILE, gates)
    args = argparse.Namespace(split="dev", suite="full", repeats=1, model="router", out=eval_out,
                              baseline=None, gates=gates, tasks_dir=tasks_dir, only=[], progress=False,
                              leak_probe=False, cloud_standin=False, mask_internal=None, cloud_threshold=None)
    assert run(args) == 1
    report = json.loads((eval_out / "report.json").read_text(encoding="utf-8"))
    assert report["scores"][0]["state_ok"] is False and not report["gate"]["passed"]


def test_aggregate_breaks_down_by_agent_and_category() -> None:
    from evals.metrics import Score

    tasks = load_tasks("dev")[:2]
    scores = [Score(t.id, 0, 1.0, 1.0, 1, 1, [], True, 0, 0, [], 0, None, [], i == 0, [5.0])
              for i, t in enumerate(tasks)]
    summary = aggregate(tasks, scores, repeats=1)
    assert summary["task_success"] == 0.5
    assert set(summary["by_agent"]) == {t.agent for t in tasks}
    assert summary["pass_hat_k"] == {"1": 0.5}


@pytest.mark.slow
@needs_ragas
def test_the_dev_split_passes_the_gate(tmp_path: Path) -> None:
    from evals.suite import run_suite

    report = run_suite(RunOptions(split="dev", out=tmp_path, progress=False))
    assert report["gate"]["passed"], report["gate"]["failures"]


def test_the_report_compares_with_a_baseline(synthetic_report: dict[str, Any]) -> None:
    from evals.report import render_html

    assert "línea base" not in render_html(synthetic_report)
    assert "línea base" in render_html(synthetic_report, baseline=synthetic_report)


def test_mestocker_has_the_eval_command() -> None:
    from api.cli import build_parser
    from api.cli_eval import cmd_eval

    args = build_parser().parse_args(["eval", "--suite", "smoke", "--split", "heldout", "--repeat", "2"])
    assert args.func is cmd_eval and (args.suite, args.split, args.repeats) == ("smoke", "heldout", 2)
