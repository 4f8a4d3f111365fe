"""The eval tasks: versioned YAML files under evals/tasks/<split>/, read into typed models.

A task is one conversation of one principal of the demo world. Each user turn states what the
assistant must do in that turn (tool calls with arguments, facts its reply states, the routing
level and target); the task states the setup its fresh database needs and, for attacks, what would
count as the attack succeeding. The expected database end state is not written by hand: it is what
replaying the expected calls on a fresh seed produces (evals/replay.py).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from evals.options import TASKS_DIR
from tools.registry import TOOLS, WRITE_TOOLS

KNOWLEDGE_TOOL = "search_knowledge"
ANY = "*"  # an expected argument whose value is free text (a reason, a query): any value matches


class Split(StrEnum):
    DEV = "dev"
    HELDOUT = "heldout"


class Agent(StrEnum):
    INVENTORY = "inventory"
    ORDER = "order"
    SELLER = "seller"
    SUPPORT = "support"


# The demo world's users the tasks speak as (ids come from the database, by email).
PRINCIPALS: dict[str, str] = {
    "root": "root@mestocker.example.co",
    "admin": "admin@mestocker.example.co",
    "cafe": "ventas@cafeorigen.example.co",
    "moda": "contacto@modaandina.example.co",
    "tech": "soporte@tecnohogar.example.co",
    "laura": "laura.gomez@example.co",
    "andres": "andres.restrepo@example.co",
    "mafe": "mafe.diaz@example.co",
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExpectedCall(Strict):
    """A tool call the assistant must make. A write tool's call says whether the user confirms it
    (`confirmed: true` → it runs once; false → declined, refused or never asked: nothing changes)."""

    name: str
    args: dict[str, Any] = Field(default_factory=dict)
    confirmed: bool | None = None


class ExpectedRouting(Strict):
    level: Literal["public", "internal", "sensitive", "confidential"]
    target: Literal["local", "cloud"] = "local"


class Turn(Strict):
    user: str
    calls: list[ExpectedCall] = Field(default_factory=list)
    facts: list[str] = Field(default_factory=list)
    routing: ExpectedRouting | None = None


class SetupStep(Strict):
    """A change applied to the task's fresh database before the conversation starts.

    `command`: a commerce command by name (see evals.world.SETUP_COMMANDS) sent through the bus as the
    system; `update`: one row's columns set directly — only for data no command writes (a product name
    carrying an injected instruction), as seeding does."""

    command: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    update: str | None = None  # table name
    key: dict[str, Any] = Field(default_factory=dict)
    values: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_kind(self) -> SetupStep:
        if (self.command is None) == (self.update is None):
            raise ValueError("a setup step is either a command or an update")
        return self


class ReferenceSource(Strict):
    """A section of the knowledge corpus that answers a knowledge task: the file and the section's own
    heading, resolved to its chunk texts at run time (as knowledge/evaluation.py resolves gold answers), so
    editing a document does not invalidate the task."""

    source: str  # file name under knowledge/corpus, e.g. "devoluciones.md"
    heading: str  # the section's last heading, e.g. "Plazo para retractarte: 5 días hábiles"


class Attack(Strict):
    """What would mean the attack worked: a forbidden text in a reply, a forbidden call that ran, or a
    database end state other than the expected one (always checked for attacks)."""

    kind: Literal["bola_read", "bola_write", "bfla", "injection_user", "injection_data", "role_escalation",
                  "confirmation_skip", "confirmation_replay", "exfiltration"]
    forbidden_text: list[str] = Field(default_factory=list)
    forbidden_calls: list[ExpectedCall] = Field(default_factory=list)


class Task(Strict):
    id: str
    agent: Agent
    category: str
    principal: str
    turns: list[Turn] = Field(min_length=1)
    setup: list[SetupStep] = Field(default_factory=list)
    attack: Attack | None = None
    # Knowledge tasks: the corpus sections whose chunks retrieval should return (context precision/recall).
    reference_sources: list[ReferenceSource] = Field(default_factory=list)
    note: str = ""
    split: Split = Split.DEV
    source: str = ""

    @model_validator(mode="after")
    def _checked(self) -> Task:
        if self.principal not in PRINCIPALS:
            raise ValueError(f"{self.id}: unknown principal {self.principal!r}; expected one of {sorted(PRINCIPALS)}")
        for call in self.expected_calls:
            if call.name not in TOOLS:
                raise ValueError(f"{self.id}: unknown tool {call.name!r}")
            if (call.name in WRITE_TOOLS) != (call.confirmed is not None):
                raise ValueError(f"{self.id}: {call.name}: `confirmed` is required on writes and only on writes")
        if self.is_knowledge != bool(self.reference_sources):
            raise ValueError(f"{self.id}: a task that expects search_knowledge needs `reference_sources`, "
                             "and only such a task has them")
        if not any(turn.facts for turn in self.turns) and not self.attack and not any(
                call.confirmed or call.name == "escalate_to_human" for call in self.expected_calls):
            raise ValueError(f"{self.id}: nothing to check (no facts, no write, no attack)")
        return self

    @property
    def email(self) -> str:
        return PRINCIPALS[self.principal]

    @property
    def expected_calls(self) -> list[ExpectedCall]:
        return [call for turn in self.turns for call in turn.calls]

    @property
    def is_knowledge(self) -> bool:
        """The task expects a knowledge-base search (context precision/recall are scored on it)."""
        return any(call.name == KNOWLEDGE_TOOL for call in self.expected_calls)

    @property
    def is_security(self) -> bool:
        return self.attack is not None


def load_file(path: Path, split: Split) -> list[Task]:
    """The tasks of one YAML file (a list of mappings), tagged with their split and file."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [Task.model_validate({**item, "split": split, "source": path.name}) for item in raw]


def load_tasks(split: str = "all", *, root: Path = TASKS_DIR) -> list[Task]:
    """Every task of `split` ("dev", "heldout" or "all"), in file order; refuses duplicate ids."""
    splits = list(Split) if split == "all" else [Split(split)]
    tasks = [task for s in splits for path in sorted((root / s).glob("*.yaml")) for task in load_file(path, s)]
    seen: set[str] = set()
    for task in tasks:
        if task.id in seen:
            raise ValueError(f"duplicate task id {task.id!r}")
        seen.add(task.id)
    return tasks
