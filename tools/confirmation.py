"""Confirmation of writes: ask the user through a LangGraph interrupt, then run exactly once.

Flow of a write tool (docs/agents-contract.md): validate and authorize with read-only previews
(a denied call never asks), `interrupt()` with a Spanish question, and on "confirm" run the
command under the idempotency key `agent:{thread_id}:{tool_call_id}`. LangGraph re-runs the tool
from the top when the graph resumes, and a chat service may resume the same checkpoint twice;
`stored()` short-circuits both into the first run's result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langgraph.types import interrupt

from commerce.shared import exactly_once
from tools.base import Runtime
from tools.results import ToolResult, cancelled, ok

CONFIRM = "confirm"
# What a replay answers when the process that ran the write died before storing its result: the write committed
# (the key was marked in its transaction), so it is never run again; its details are one read away.
ALREADY_DONE = ok("Esa acción ya quedó hecha; consulta su estado para ver el detalle (por ejemplo, «estado de mi "
                  "pedido»).")


class PendingWrite:
    """One write tool call awaiting the user's decision."""

    def __init__(self, runtime: Runtime, tool: str, args: dict[str, Any]) -> None:
        self.context = runtime.context
        self.tool = tool
        self.args = args
        self.scope = f"agent-tool:{tool}"
        self.key = f"agent:{self.context.thread_id}:{runtime.tool_call_id}"
        # The caller is part of the request: another user replaying this key gets no stored result.
        self.request = {"tool": tool, "args": args, "user_id": self.context.principal.user_id}

    def stored(self) -> ToolResult | None:
        """The result of this call if it already ran (a replayed resume)."""
        return exactly_once.stored_result(self.context.bus, scope=self.scope, key=self.key, request=self.request)

    def confirm_and_run(self, question: str, execute: Callable[[], ToolResult], cancel_message: str) -> ToolResult:
        """Pause for the user's decision; run `execute` once on confirm."""
        decision = interrupt({"type": "confirmation", "tool": self.tool, "args": self.args, "question": question})
        if not is_confirmation(decision):
            return cancelled(cancel_message)
        result, _replayed = exactly_once.run_once(self.context.bus, scope=self.scope, key=self.key,
                                                  request=self.request, work=execute, if_interrupted=ALREADY_DONE)
        return result


def is_confirmation(decision: Any) -> bool:
    """Only an explicit confirm executes; anything else (cancel, garbage) does not."""
    if isinstance(decision, dict):
        decision = decision.get("decision")
    return isinstance(decision, str) and decision.strip().lower() == CONFIRM
