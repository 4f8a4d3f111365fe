"""The offline model's choice for one turn, and what earlier turns of the thread settled."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents.offline.extract import Entities


@dataclass
class ThreadContext:
    """What earlier turns settled: the last tool used and the last product, order and warehouse."""

    tool: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    sku: str | None = None
    order_id: str | None = None
    warehouse: str | None = None
    proposal_id: str | None = None
    asked: str | None = None  # the tool our last reply asked a question for (its answer fills the gap)
    offered: bool = False  # that question offered to run the tool ("¿Quieres que te comunique con una persona?")

    def remember_question(self, asked: Any) -> None:
        """Our last reply asked for a missing argument of a tool: the next message may just answer it."""
        if isinstance(asked, dict) and isinstance(asked.get("tool"), str):
            self.remember_call(asked["tool"], asked.get("args") or {})
            self.asked = asked["tool"]
            self.offered = bool(asked.get("offer"))
        else:
            self.asked = None
            self.offered = False

    def remember_call(self, name: str, args: dict[str, Any]) -> None:
        self.tool, self.args = name, dict(args)
        self.sku = args.get("sku") or _first_line_sku(args) or self.sku
        self.order_id = args.get("order_id") or self.order_id
        self.warehouse = args.get("warehouse") or args.get("to_warehouse") or self.warehouse
        self.proposal_id = args.get("proposal_id") or self.proposal_id

    def remember_result(self, data: Any, order_prefix: str) -> None:
        """An order a tool just created or showed becomes "ese pedido" for the next turn."""
        if isinstance(data, dict):
            found = data.get("order_id") or data.get("id")
            if isinstance(found, str) and found.upper().startswith(order_prefix):
                self.order_id = found.upper()

    def remember_text(self, ents: Entities) -> None:
        self.sku = ents.product.sku or self.sku
        self.order_id = ents.order_id or self.order_id
        self.proposal_id = ents.proposal_id or self.proposal_id


@dataclass(frozen=True)
class Decision:
    """A tool with canonical arguments, or a reply; `tool` may be set with a question when args are missing."""

    tool: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    text: str | None = None


def _first_line_sku(args: dict[str, Any]) -> str | None:
    lines = args.get("lines") or []
    return lines[0].get("sku") if lines and isinstance(lines[0], dict) else None
