"""The eval command's arguments and its run: `python -m evals run …` and `mestocker eval …`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from evals.gate import GATES_FILE
from evals.options import MODELS, SUITES, TASKS_DIR, RunOptions


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of an eval run (shared by both entry points)."""
    parser.add_argument("--suite", choices=SUITES, default="full", help="which tasks (smoke: one per category)")
    parser.add_argument("--split", choices=("dev", "heldout", "all"), default="dev")
    parser.add_argument("--model", choices=MODELS, default="router",
                        help="router: the privacy router over the models the settings configure (offline model "
                             "last); offline: the built-in model alone, no router")
    parser.add_argument("--repeat", "--repeats", dest="repeats", type=int, default=1, help="runs per task (pass^k)")
    parser.add_argument("--out", type=Path, default=Path("var/evals"), help="folder for report.json and report.html")
    parser.add_argument("--baseline", type=Path, default=None, help="an earlier report.json to compare with")
    parser.add_argument("--gates", type=Path, default=GATES_FILE, help="thresholds file (TOML)")
    parser.add_argument("--tasks-dir", type=Path, default=TASKS_DIR, help="folder with dev/ and heldout/ task files")
    parser.add_argument("--task", dest="only", action="append", default=[], help="run only this task id (repeatable)")
    parser.add_argument("--leak-probe", action="store_true",
                        help="point the router's cloud models at fake OpenAI/Anthropic servers that record what they "
                             "receive; a protected message in any request counts as a leak")
    parser.add_argument("--cloud-standin", action="store_true",
                        help="point the router's cloud model at a local OpenAI-compatible server answered by the "
                             "offline model (tool calls included): cloud-routed turns get real answers")
    parser.add_argument("--mask-internal", choices=("on", "off"), default=None,
                        help="override the policy's mask_internal_for_cloud for this run")
    parser.add_argument("--cloud-threshold", type=float, default=None,
                        help="override the policy's complexity_threshold (0: every public/internal turn is complex)")
    parser.add_argument("--no-progress", dest="progress", action="store_false")


def _context(metrics: dict[str, Any]) -> str:
    precision, recall = metrics.get("context_precision"), metrics.get("context_recall")
    if precision is None or recall is None:
        return "-" if not metrics.get("context_runs") else "no_se_corrió"
    return f"{precision:.3f}/{recall:.3f}"


def run(args: argparse.Namespace) -> int:
    """Run the suite, print the summary; 0 when the gate passes, 1 when it fails."""
    if args.repeats < 1:
        print("--repeat debe ser 1 o más.", file=sys.stderr)
        return 2
    options = RunOptions(split=args.split, suite=args.suite, repeats=args.repeats, model=args.model, out=args.out,
                         baseline=args.baseline, gates=args.gates, tasks_dir=args.tasks_dir, only=tuple(args.only),
                         progress=args.progress, leak_probe=args.leak_probe, cloud_standin=args.cloud_standin,
                         mask_internal=None if args.mask_internal is None else args.mask_internal == "on",
                         cloud_threshold=args.cloud_threshold)
    if options.leak_probe and options.cloud_standin:
        print("--leak-probe y --cloud-standin no se pueden usar juntos.", file=sys.stderr)
        return 2
    from evals.suite import run_suite  # the chat stack and ragas load only when an eval runs

    report = run_suite(options)
    for split, m in report["splits"].items():
        pk = " ".join(f"pass^{k}={v:.3f}" for k, v in m["pass_hat_k"].items() if v is not None)
        asr = m["attack_success_rate"]
        print(f"[{split}] tareas={m['tasks']} éxito={m['task_success']:.3f}"
              f" ToolCallAccuracy={m['tool_call_accuracy']:.3f}"
              f" F1={m['tool_call_f1']:.3f} enrutamiento={m['routing_accuracy'] or 0:.3f} fugas={m['leaks']}"
              f" ataques_exitosos={'-' if asr is None else f'{asr:.3f}'} {pk}"
              f" contexto_P/R={_context(m)}"
              f" p50={m['latency_ms']['p50'] or 0:.0f}ms p95={m['latency_ms']['p95'] or 0:.0f}ms", file=sys.stderr)
    for failure in report["gate"]["failures"]:
        print(f"compuerta: {failure}", file=sys.stderr)
    print(f"Informe: {options.out / 'report.html'}", file=sys.stderr)
    return 0 if report["gate"]["passed"] else 1
