"""The state of a conversation thread, as the checkpointer stores it."""

from __future__ import annotations

from typing import Annotated, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages
from langgraph.managed import RemainingSteps


class ConversationState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    active_agent: str | None  # the agent that keeps the thread until a handoff
    # Managed by LangGraph (never checkpointed): steps left before the run's recursion limit.
    remaining_steps: RemainingSteps
