"""One eval run end to end: choose tasks, run them, score them, gate them, write the reports."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, replace
from datetime import UTC, datetime
from typing import Any

from evals.cloud_standin import CloudStandIn
from evals.contexts import reference_contexts
from evals.fake_cloud import CloudProbe
from evals.gate import check, load_gates
from evals.metrics import aggregate, score_run
from evals.options import RunOptions, Suite
from evals.ragas_compat import CONTEXT_METRICS_NOT_RUN, context_metrics, ragas
from evals.report import render_html, write_json
from evals.runner import Cloud, prepare_world, run_tasks
from evals.tasks import Task, load_tasks
from evals.world import World, settings_for
from router.policy import Policy


def select(tasks: list[Task], suite: Suite) -> list[Task]:
    """The tasks of a suite. smoke: the first task of every category (one quick pass over all kinds)."""
    if suite == "security":
        return [t for t in tasks if t.is_security]
    if suite == "routing":
        return [t for t in tasks if any(turn.routing for turn in t.turns)]
    if suite == "knowledge":
        return [t for t in tasks if t.is_knowledge]
    if suite == "smoke":
        seen: set[tuple[str, str]] = set()
        chosen = []
        for task in tasks:
            if (task.split, task.category) not in seen:
                seen.add((task.split, task.category))
                chosen.append(task)
        return chosen
    return tasks


def run_policy(options: RunOptions, world: World) -> Policy | None:
    """The run's routing policy: the settings' one with the run's overrides (None: no override, as the API)."""
    if options.mask_internal is None and options.cloud_threshold is None:
        return None
    from infra.bootstrap import routing_policy

    policy = routing_policy(settings_for(world.template, world.data_dir))
    if options.mask_internal is not None:
        policy = replace(policy, mask_internal_for_cloud=options.mask_internal)
    if options.cloud_threshold is not None:
        policy = replace(policy, complexity_threshold=options.cloud_threshold)
    return policy


def _cloud(options: RunOptions) -> Cloud | None:
    if options.cloud_standin:
        return CloudStandIn().start()
    return CloudProbe() if options.leak_probe else None


def _bar(total: int, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc="Tareas", unit="corrida", file=sys.stderr, disable=not enabled)


def run_suite(options: RunOptions, tasks: list[Task] | None = None) -> dict[str, Any]:
    """Run the chosen tasks and return the report (also written as report.json and report.html)."""
    chosen = tasks if tasks is not None else select(load_tasks(options.split, root=options.tasks_dir), options.suite)
    if options.only:
        chosen = [t for t in chosen if t.id in options.only]
    for task in chosen:
        reference_contexts(task)  # a reference section the corpus lacks stops the run before it starts
    started = datetime.now(UTC)
    clock = time.perf_counter()
    world = prepare_world(options.out / "work")
    cloud = _cloud(options)
    world.overrides = cloud.settings if cloud else {}
    policy = run_policy(options, world)
    try:
        with _bar(len(chosen) * options.repeats, options.progress) as bar:
            runs = run_tasks(world, chosen, repeats=options.repeats, model=options.model, progress=bar.update,
                             cloud=cloud, policy=policy)
    finally:
        if cloud:
            cloud.stop()
    by_id = {t.id: t for t in chosen}
    scores = [score_run(by_id[run.task_id], run) for run in runs]
    splits = {split: aggregate([t for t in chosen if t.split == split],
                               [s for s in scores if by_id[s.task_id].split == split], options.repeats)
              for split in sorted({t.split.value for t in chosen})}
    failures = check(splits, load_gates(options.gates), options.suite)
    report: dict[str, Any] = {
        "meta": {"started_at": started.isoformat(timespec="seconds"), "seconds": round(time.perf_counter() - clock, 1),
                 "model": options.model, "suite": options.suite, "split": options.split, "repeats": options.repeats,
                 "ragas": ragas().version, "judge": "not run (no judge model configured)",
                 "context_metrics": ("ragas NonLLMContextPrecisionWithReference / NonLLMContextRecall"
                                     if context_metrics() is not None else CONTEXT_METRICS_NOT_RUN),
                 "leak_probe": options.leak_probe, "cloud_standin": options.cloud_standin,
                 "policy": None if policy is None else {"mask_internal_for_cloud": policy.mask_internal_for_cloud,
                                                        "complexity_threshold": policy.complexity_threshold},
                 "cloud_requests": sum(len(r.cloud_bodies) for r in runs) if cloud else None,
                 "masked_calls": sum(bool(row.get("masked")) for r in runs for row in r.routing_rows)},
        "splits": splits,
        "gate": {"passed": not failures, "failures": failures, "file": str(options.gates)},
        "tasks": [t.model_dump(mode="json") for t in chosen],
        "scores": [asdict(s) for s in scores],
        "runs": [r.as_dict() for r in runs],
    }
    options.out.mkdir(parents=True, exist_ok=True)
    write_json(options.out / "report.json", report)
    baseline = json.loads(options.baseline.read_text(encoding="utf-8")) if options.baseline else None
    (options.out / "report.html").write_text(render_html(report, baseline), encoding="utf-8")
    return report
