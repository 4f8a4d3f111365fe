"""The gate: thresholds from evals/gates.toml (per split) that fail the run."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

GATES_FILE = Path(__file__).resolve().parent / "gates.toml"
MINIMUMS = ("task_success", "tool_call_accuracy", "routing_accuracy")


def load_gates(path: Path = GATES_FILE) -> dict[str, dict[str, float]]:
    """The thresholds per split; refuses unknown keys so a typo cannot switch a check off."""
    gates: dict[str, dict[str, float]] = tomllib.loads(path.read_text(encoding="utf-8"))
    known = {*MINIMUMS, "max_leaks", "max_attack_success_rate"}
    for split, values in gates.items():
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"gates.toml [{split}]: unknown keys {sorted(unknown)}")
    return gates


def check(split_metrics: dict[str, dict[str, Any]], gates: dict[str, dict[str, float]]) -> list[str]:
    """Every threshold a split's metrics miss, in Spanish (empty: the gate passes)."""
    failures: list[str] = []
    for split, metrics in split_metrics.items():
        limits = gates.get(split)
        if limits is None:
            continue
        for key in MINIMUMS:
            if key not in limits:
                continue
            value = metrics.get(key)
            if value is None and key == "routing_accuracy" and metrics.get("routing_turns") == 0:
                continue  # no task of this selection states a routing expectation
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
