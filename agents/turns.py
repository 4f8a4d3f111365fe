"""What one chat turn returns, on every channel (API JSON, SSE final event, CLI, WhatsApp)."""

from __future__ import annotations

from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from commerce.identity.principal import Principal
from tools.results import Status

# A tool's own statuses, plus the one a turn adds when a write tool waits for the user's yes.
ToolStatus = Literal[Status, "pending_confirmation"]


class ToolCallRead(BaseModel):
    name: str
    args: dict[str, Any] = Field(default_factory=dict)
    status: ToolStatus


class PendingConfirmation(BaseModel):
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    question: str


class TurnResult(BaseModel):
    """The chat API's response body: `POST /v1/chat/threads/{thread_id}/messages`."""

    thread_id: str
    agent: str
    reply: str
    tool_calls: list[ToolCallRead] = Field(default_factory=list)
    pending_confirmation: PendingConfirmation | None = None
    routing: dict[str, Any] = Field(default_factory=dict)


class ChatEvent(BaseModel):
    """A streamed step of a turn: `agent` (who answers), `tool_call`, `token`, then `final`."""

    type: Literal["agent", "tool_call", "token", "final", "error"]
    data: dict[str, Any] = Field(default_factory=dict)


class Chat(Protocol):
    """The conversation service the channels talk to."""

    def send(self, *, principal: Principal, thread_id: str, message: str, channel: str = "web") -> TurnResult:
        """Run one turn of `thread_id` for `principal` and return the reply."""
        ...
