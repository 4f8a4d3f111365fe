"""The conversation service every channel uses: one call per user message, one `TurnResult` back.

It owns what is not the graph's business: thread ownership (a user's thread id is namespaced by
user, so nobody can continue someone else's thread), one turn at a time per thread, reading the
answer to a pending confirmation, and turning the graph's messages into the public turn shape.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command

from agents.confirmations import Decision, looks_like_new_request, read_decision
from agents.graph import SUPERVISOR_NODE
from agents.handoffs import is_handoff
from agents.turns import ChatEvent, PendingConfirmation, ToolCallRead, TurnResult
from commerce.identity.principal import Principal
from commerce.shared.errors import InvalidInput
from commerce.shared.messagebus import MessageBus
from tools.context import AgentContext

MAX_MESSAGE_CHARS = 4000
RECURSION_LIMIT = 30
UNCLEAR_ANSWER = "No te entendí. "
ROUTING_SINK = Callable[[], dict[str, Any]]


class ChatService:
    """Runs turns of the supervisor graph for authenticated principals."""

    def __init__(self, graph: CompiledStateGraph[Any, Any, Any, Any], bus: MessageBus, *, model_name: str,
                 routing: Callable[[], dict[str, Any]] | None = None) -> None:
        self.graph = graph
        self.bus = bus
        self.model_name = model_name
        self._routing = routing
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    # ----- public API --------------------------------------------------------------------------
    def send(self, *, principal: Principal, thread_id: str, message: str, channel: str = "web") -> TurnResult:
        """Run one turn and return its result (the chat API's response body)."""
        result: TurnResult | None = None
        for event in self.stream(principal=principal, thread_id=thread_id, message=message, channel=channel):
            if event.type == "final":
                result = TurnResult.model_validate(event.data)
        assert result is not None
        return result

    def stream(self, *, principal: Principal, thread_id: str, message: str, channel: str = "web"
               ) -> Iterator[ChatEvent]:
        """Run one turn, yielding step events (`agent`, `tool_call`) and then the `final` TurnResult."""
        text = _validated(message)
        key = thread_key(principal, thread_id)
        config: RunnableConfig = {"configurable": {"thread_id": key}, "recursion_limit": RECURSION_LIMIT}
        context = AgentContext(principal=principal, bus=self.bus, thread_id=key, channel=channel,
                               request_id=uuid.uuid4().hex)
        with self._lock(key):
            before = len(self._messages(config))
            pending = self._pending(config)
            if pending is not None:
                decision = read_decision(text)
                if decision is Decision.OTHER and not looks_like_new_request(text):
                    yield self._final(thread_id, config, before, reask=pending)
                    return
                resume = "confirm" if decision is Decision.CONFIRM else "cancel"
                yield from self._run(Command(resume={"decision": resume}), config, context)
                if decision is not Decision.OTHER:
                    yield self._final(thread_id, config, before)
                    return
            yield from self._run({"messages": [HumanMessage(text)]}, config, context)
            yield self._final(thread_id, config, before)

    def history(self, *, principal: Principal, thread_id: str) -> list[dict[str, Any]]:
        """The visible messages of a thread (user and assistant text), oldest first."""
        config: RunnableConfig = {"configurable": {"thread_id": thread_key(principal, thread_id)}}
        shown = []
        for msg in self._messages(config):
            if isinstance(msg, HumanMessage):
                shown.append({"role": "user", "text": str(msg.content)})
            elif isinstance(msg, AIMessage) and msg.content and not msg.tool_calls:
                shown.append({"role": "assistant", "text": str(msg.content)})
        return shown

    # ----- running the graph -------------------------------------------------------------------
    def _run(self, graph_input: Any, config: RunnableConfig, context: AgentContext) -> Iterator[ChatEvent]:
        for update in self.graph.stream(graph_input, config, context=context, stream_mode="updates"):
            for node, change in update.items():
                if node == "__interrupt__" or not isinstance(change, dict):
                    continue
                if node not in ("tools", SUPERVISOR_NODE):
                    yield ChatEvent(type="agent", data={"agent": node})
                for msg in change.get("messages", []):
                    if isinstance(msg, AIMessage):
                        for call in msg.tool_calls:
                            if not is_handoff(call["name"]):
                                yield ChatEvent(type="tool_call", data={"name": call["name"], "args": call["args"]})
                        if msg.content and not msg.tool_calls:
                            yield ChatEvent(type="token", data={"text": str(msg.content)})

    def _final(self, thread_id: str, config: RunnableConfig, before: int,
               reask: PendingConfirmation | None = None) -> ChatEvent:
        state = self.graph.get_state(config)
        messages: list[AnyMessage] = list(state.values.get("messages", []))
        pending = reask or self._pending(config)
        calls = _turn_tool_calls(messages, before, pending)
        if reask is not None:
            reply = UNCLEAR_ANSWER + reask.question
        elif pending is not None:
            reply = pending.question
        else:
            reply = _last_reply(messages[before:])
        routing = self._routing() if self._routing else {"model": self.model_name}
        result = TurnResult(thread_id=thread_id, agent=state.values.get("active_agent") or SUPERVISOR_NODE,
                            reply=reply, tool_calls=calls, pending_confirmation=pending, routing=routing)
        return ChatEvent(type="final", data=result.model_dump(mode="json"))

    def _messages(self, config: RunnableConfig) -> list[AnyMessage]:
        return list(self.graph.get_state(config).values.get("messages", []))

    def _pending(self, config: RunnableConfig) -> PendingConfirmation | None:
        for interrupt in self.graph.get_state(config).interrupts:
            value = interrupt.value
            if isinstance(value, dict) and value.get("type") == "confirmation":
                return PendingConfirmation(tool=value["tool"], args=value.get("args", {}), question=value["question"])
        return None

    def _lock(self, key: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(key, threading.Lock())


def thread_key(principal: Principal, thread_id: str) -> str:
    """The checkpoint key: a thread id only ever names a thread of the same user."""
    return f"u{principal.user_id}:{thread_id}"


def _validated(message: str) -> str:
    text = (message or "").strip()
    if not text:
        raise InvalidInput("El mensaje está vacío. Escribe tu pregunta, por ejemplo: «¿Cuánto café hay en Bogotá?».")
    if len(text) > MAX_MESSAGE_CHARS:
        raise InvalidInput(f"El mensaje es muy largo: máximo {MAX_MESSAGE_CHARS} caracteres.")
    return text


def _turn_tool_calls(messages: list[AnyMessage], before: int,
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
                reads.append(ToolCallRead(name=call["name"], args=call["args"], status=_status(msg)))
    for msg in messages[before:]:
        if isinstance(msg, AIMessage):
            for call in msg.tool_calls:
                if call["id"] not in answered and not is_handoff(call["name"]) and pending is not None:
                    reads.append(ToolCallRead(name=call["name"], args=call["args"], status="pending_confirmation"))
    return reads


def _status(message: ToolMessage) -> Any:
    try:
        status = json.loads(str(message.content)).get("status", "ok")
    except (ValueError, AttributeError):
        status = "error" if message.status == "error" else "ok"
    return status if status in ("ok", "denied", "error", "not_found", "cancelled") else "ok"


def _last_reply(messages: list[AnyMessage]) -> str:
    for msg in reversed(messages):
        if isinstance(msg, AIMessage) and msg.content and not msg.tool_calls:
            return str(msg.content) if isinstance(msg.content, str) else _text_of(msg.content)
    return "Listo."


def _text_of(content: Any) -> str:
    parts = [part.get("text", "") if isinstance(part, dict) else str(part) for part in content]
    return "".join(parts)
