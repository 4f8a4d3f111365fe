"""The conversation service every channel uses: one call per user message, one `TurnResult` back.

It owns what is not the graph's business: thread ownership (a user's thread id is namespaced by
user, so nobody can continue someone else's thread), one turn at a time per thread, reading the
answer to a pending confirmation, and turning the graph's messages into the public turn shape.
"""

from __future__ import annotations

import json
import queue
import threading
import uuid
from collections.abc import Iterator
from typing import Any, Protocol

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command, StateSnapshot

from agents.confirmations import Decision, is_correction, looks_like_new_request, read_decision
from agents.graph import SUPERVISOR_NODE
from agents.handoffs import is_handoff
from agents.turns import ChatEvent, PendingConfirmation, ToolCallRead, TurnResult
from commerce.identity.principal import Principal
from commerce.shared.errors import InvalidInput
from commerce.shared.messagebus import MessageBus
from router.classifier import classify
from router.recording import RoutingRecord, current_request_id, current_sink
from tools.context import AgentContext

MAX_MESSAGE_CHARS = 4000
RECURSION_LIMIT = 30
UNCLEAR_ANSWER = "No te entendí. "
_DONE = object()


class RoutingLogWriter(Protocol):
    """Writes a turn's routing records (router.log.RoutingLogWriter hashes what identifies)."""

    def __call__(self, records: list[RoutingRecord], *, thread_key: str, channel: str, user_id: int,
                 agent: str) -> None: ...


class ChatService:
    """Runs turns of the supervisor graph for authenticated principals."""

    def __init__(self, graph: CompiledStateGraph[Any, Any, Any, Any], bus: MessageBus, *, model_name: str,
                 log_writer: RoutingLogWriter | None = None) -> None:
        self.graph = graph
        self.bus = bus
        self.model_name = model_name
        self._log_writer = log_writer
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
        config: RunnableConfig = {"configurable": {"thread_id": key}, "recursion_limit": RECURSION_LIMIT,
                                  "metadata": {"owner": str(principal.user_id)}}
        context = AgentContext(principal=principal, bus=self.bus, thread_id=key, channel=channel,
                               request_id=uuid.uuid4().hex)
        records: list[RoutingRecord] = []
        with self._lock(key):
            state = self.graph.get_state(config)
            before = len(state.values.get("messages", []))
            pending = _pending(state)
            if pending is not None:
                decision = read_decision(text)
                if decision is Decision.OTHER and not looks_like_new_request(text):
                    yield self._final(thread_id, config, before, records, text, context, reask=pending)
                    return
                resume = "confirm" if decision is Decision.CONFIRM else "cancel"
                yield from self._run(Command(resume={"decision": resume}), config, context, records)
                if decision is Decision.CONFIRM or (decision is Decision.CANCEL and not is_correction(text)):
                    yield self._final(thread_id, config, before, records, text, context)
                    return
            yield from self._run({"messages": [HumanMessage(text)]}, config, context, records)
            yield self._final(thread_id, config, before, records, text, context)

    def history(self, *, principal: Principal, thread_id: str) -> list[dict[str, Any]]:
        """The visible messages of a thread (user and assistant text), oldest first."""
        config: RunnableConfig = {"configurable": {"thread_id": thread_key(principal, thread_id)}}
        shown = []
        for msg in self.graph.get_state(config).values.get("messages", []):
            if isinstance(msg, HumanMessage):
                shown.append({"role": "user", "text": str(msg.content)})
            elif isinstance(msg, AIMessage) and msg.content and not msg.tool_calls:
                shown.append({"role": "assistant", "text": str(msg.content)})
        return shown

    def forget_user(self, user_id: int) -> int:
        """Delete every conversation of a user (a Ley 1581 erasure request); return how many threads."""
        saver = self.graph.checkpointer
        if not isinstance(saver, BaseCheckpointSaver):
            return 0
        threads = {cp.config["configurable"]["thread_id"] for cp in saver.list(None, filter={"owner": str(user_id)})}
        for thread in threads:
            saver.delete_thread(thread)
        return len(threads)

    # ----- running the graph -------------------------------------------------------------------
    def _run(self, graph_input: Any, config: RunnableConfig, context: AgentContext,
             records: list[RoutingRecord]) -> Iterator[ChatEvent]:
        for update in self._updates(graph_input, config, context, records):
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

    def _updates(self, graph_input: Any, config: RunnableConfig, context: AgentContext,
                 records: list[RoutingRecord]) -> Iterator[dict[str, Any]]:
        """The graph's updates, produced on a worker thread that owns the routing-record context.

        A streaming response resumes this generator on whatever thread serves the next chunk, so
        the context variables the router reads must not live in the generator's own frame."""
        updates: queue.Queue[Any] = queue.Queue()

        def work() -> None:
            sink, request = current_sink.set(records.append), current_request_id.set(context.request_id)
            try:
                for update in self.graph.stream(graph_input, config, context=context, stream_mode="updates"):
                    updates.put(update)
            except BaseException as exc:  # handed to the consumer, raised there
                updates.put(exc)
            finally:
                current_request_id.reset(request)
                current_sink.reset(sink)
                updates.put(_DONE)

        worker = threading.Thread(target=work, name="chat-turn", daemon=True)
        worker.start()
        while (item := updates.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
        worker.join()

    def _final(self, thread_id: str, config: RunnableConfig, before: int, records: list[RoutingRecord], text: str,
               context: AgentContext, reask: PendingConfirmation | None = None) -> ChatEvent:
        state = self.graph.get_state(config)
        messages: list[AnyMessage] = list(state.values.get("messages", []))
        pending = reask or _pending(state)
        calls = _turn_tool_calls(messages, before, pending)
        if reask is not None:
            reply = UNCLEAR_ANSWER + reask.question
        elif pending is not None:
            reply = pending.question
        else:
            reply = _last_reply(messages[before:])
        agent = state.values.get("active_agent") or SUPERVISOR_NODE
        if records and self._log_writer is not None:
            self._log_writer(records, thread_key=context.thread_id, channel=context.channel,
                             user_id=context.principal.user_id, agent=agent)
        routing = records[-1].summary() if records else _no_model_routing(text)
        result = TurnResult(thread_id=thread_id, agent=agent, reply=reply, tool_calls=calls,
                            pending_confirmation=pending, routing=routing)
        return ChatEvent(type="final", data=result.model_dump(mode="json"))

    def _lock(self, key: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(key, threading.Lock())


def _pending(state: StateSnapshot) -> PendingConfirmation | None:
    """The confirmation a thread is paused on, if any."""
    for interrupt in state.interrupts:
        value = interrupt.value
        if isinstance(value, dict) and value.get("type") == "confirmation":
            return PendingConfirmation(tool=value["tool"], args=value.get("args", {}), question=value["question"])
    return None


def thread_key(principal: Principal, thread_id: str) -> str:
    """The checkpoint key: a thread id only ever names a thread of the same user."""
    return f"u{principal.user_id}:{thread_id}"


def _no_model_routing(text: str) -> dict[str, Any]:
    """Routing of a turn answered without a model (a confirmation asked again)."""
    classification = classify(text)
    return {"classification": str(classification.level), "entities": sorted(classification.entities),
            "policy_target": "local", "model": None, "fallback": False, "reason": "Sin llamada a un modelo."}


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
