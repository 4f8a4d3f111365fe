"""What one eval run is asked to do (light: the CLI parser imports it without the chat stack)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from evals.gate import GATES_FILE

Suite = Literal["smoke", "full", "security", "routing", "knowledge"]
SUITES: tuple[Suite, ...] = ("smoke", "full", "security", "routing", "knowledge")
ModelChoice = Literal["router", "offline"]
MODELS: tuple[ModelChoice, ...] = ("router", "offline")
TASKS_DIR = Path(__file__).resolve().parent / "tasks"


@dataclass
class RunOptions:
    split: str = "dev"
    suite: Suite = "full"
    repeats: int = 1
    model: ModelChoice = "router"
    out: Path = Path("var/evals")
    baseline: Path | None = None
    gates: Path = GATES_FILE
    tasks_dir: Path = TASKS_DIR
    only: tuple[str, ...] = ()
    progress: bool = True
    leak_probe: bool = False
    cloud_standin: bool = False  # the router's cloud model is evals/cloud_standin.py (the offline model on the wire)
    mask_internal: bool | None = None  # None: the policy file's mask_internal_for_cloud
    cloud_threshold: float | None = None  # None: the policy file's complexity_threshold
