"""Handoff tools: how the supervisor and the agents pass a conversation to another agent.

A handoff is an ordinary tool call answered by an ordinary ToolMessage, so the message history
stays valid for every provider (no AI tool call without its tool message). The tool only changes
`active_agent`; the graph's edge after the tools node then runs that agent.
"""

from __future__ import annotations

from typing import Annotated, Any

from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool, InjectedToolCallId, tool
from langgraph.types import Command

from agents.specs import AGENTS

HANDOFF_PREFIX = "transfer_to_"


def handoff_tool(agent: str) -> BaseTool:
    """The tool that transfers the conversation to `agent`."""
    spec = AGENTS[agent]

    @tool(f"{HANDOFF_PREFIX}{agent}", description=f"Transfiere la conversación al agente de {spec.description}.")
    def transfer(reason: str, tool_call_id: Annotated[str, InjectedToolCallId]) -> Command[Any]:
        message = ToolMessage(content=f"Conversación transferida al agente «{agent}».", tool_call_id=tool_call_id,
                              name=f"{HANDOFF_PREFIX}{agent}")
        return Command(update={"messages": [message], "active_agent": agent})

    return transfer


HANDOFF_TOOLS: dict[str, BaseTool] = {name: handoff_tool(name) for name in AGENTS}


def is_handoff(tool_name: str) -> bool:
    return tool_name.startswith(HANDOFF_PREFIX)
