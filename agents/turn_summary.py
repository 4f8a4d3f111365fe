"""Turning a thread's messages after a turn into the public turn shape: tool calls and the reply."""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import AIMessage, AnyMessage, ToolMessage

from agents.handoffs import is_handoff
from agents.turns import PendingConfirmation, ToolCallRead
from tools.results import STATUSES


def turn_tool_calls(messages: list[AnyMessage], before: int,
                    pending: PendingConfirmation | None) -> list[ToolCallRead]:
    """The tool calls of this turn, with their outcome, handoffs left out.

    A confirmed write was requested in the previous turn; its result arrives in this one, so the
    call is looked up in the whole history by its id."""
    calls_by_id = {call["id"]: call for msg in messages if isinstance(msg, AIMessage) for call in msg.tool_calls}
    reads: list[ToolCallRead] = []
    answered: set[str] = set()
    for msg in messages[before:]:
        if isinstance(msg, ToolMessage) and msg.tool_call_id in calls_by_id:
            call = calls_by_id[msg.tool_call_id]
            answered.add(msg.tool_call_id)
            if not is_handoff(call["name"]):
                reads.append(ToolCallRead(name=call["name"], args=call["args"], status=tool_status(msg)))
    for msg in messages[before:]:
        if isinstance(msg, AIMessage):
            for call in msg.tool_calls:
                if call["id"] not in answered and not is_handoff(call["name"]) and pending is not None:
                    reads.append(ToolCallRead(name=call["name"], args=call["args"], status="pending_confirmation"))
    return reads


def tool_status(message: ToolMessage) -> Any:
    """The status a tool reported in its JSON result (`ok` when it reported none)."""
    try:
        status = json.loads(str(message.content)).get("status", "ok")
    except (ValueError, AttributeError):
        status = "error" if message.status == "error" else "ok"
    return status if status in STATUSES else "ok"


def last_reply(messages: list[AnyMessage]) -> str:
    """The assistant's last text answer among `messages` ("Listo." when it gave none)."""
    for msg in reversed(messages):
        if isinstance(msg, AIMessage) and msg.content and not msg.tool_calls:
            return msg.text
    return "Listo."
