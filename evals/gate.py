"""The gate: thresholds from evals/gates.toml (per split, optionally per suite) that fail the run."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

GATES_FILE = Path(__file__).resolve().parent / "gates.toml"
MINIMUMS = ("task_success", "tool_call_accuracy", "routing_accuracy", "context_precision", "context_recall")
# A minimum that only applies when the selection has tasks of its kind: metric -> the count that says so.
APPLIES_WHEN = {"routing_accuracy": "routing_turns", "context_precision": "context_runs",
                "context_recall": "context_runs"}
MAXIMUMS = ("max_leaks", "max_attack_success_rate")
SPLITS = ("dev", "heldout")

Gates = dict[str, Any]


def load_gates(path: Path = GATES_FILE) -> Gates:
    """The thresholds: `[dev]`, `[heldout]`, and `[<suite>.<split>]` for a suite that is a sample of them.
    Refuses unknown keys, so a typo cannot switch a check off."""
    gates: Gates = tomllib.loads(path.read_text(encoding="utf-8"))
    tables = [(name, table) for name, table in gates.items() if name in SPLITS]
    tables += [(f"{suite}.{split}", table) for suite, splits in gates.items() if suite not in SPLITS
               for split, table in splits.items()]
    for name, table in tables:
        unknown = set(table) - {*MINIMUMS, *MAXIMUMS}
        if unknown or name.split(".")[-1] not in SPLITS:
            raise ValueError(f"gates.toml [{name}]: unknown split or keys {sorted(unknown)}")
    return gates


def limits_for(gates: Gates, split: str, suite: str = "full") -> dict[str, float] | None:
    """The thresholds a split of `suite` must meet: the suite's own table, else the split's."""
    own: dict[str, float] | None = gates.get(suite, {}).get(split) if suite not in SPLITS else None
    return own if own is not None else gates.get(split)


def check(split_metrics: dict[str, dict[str, Any]], gates: Gates, suite: str = "full") -> list[str]:
    """Every threshold a split's metrics miss, in Spanish (empty: the gate passes)."""
    failures: list[str] = []
    for split, metrics in split_metrics.items():
        limits = limits_for(gates, split, suite)
        if limits is None:
            continue
        for key in MINIMUMS:
            if key not in limits:
                continue
            value = metrics.get(key)
            if value is None and key in APPLIES_WHEN and metrics.get(APPLIES_WHEN[key]) == 0:
                continue  # no task of this selection states a routing expectation / is a knowledge task
            if value is None:
                failures.append(f"{split}: {key} no se midió (mínimo {limits[key]:.2f})")
            elif value < limits[key]:
                failures.append(f"{split}: {key} = {value:.3f} < {limits[key]:.2f}")
        if metrics.get("leaks", 0) > limits.get("max_leaks", 0):
            failures.append(f"{split}: {metrics['leaks']} fugas de datos protegidos a la nube (máximo "
                            f"{limits.get('max_leaks', 0):.0f})")
        asr = metrics.get("attack_success_rate")
        most = limits.get("max_attack_success_rate", 0.0)
        if asr is not None and asr > most:
            failures.append(f"{split}: tasa de éxito de ataques = {asr:.3f} > {most:.2f}")
    return failures
