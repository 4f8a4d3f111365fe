"""The conversation service every channel uses: one call per user message, one `TurnResult` back.

It orchestrates what is not the graph's business, each concern in its own module: thread
ownership (agents.threads), one turn at a time per thread (agents.thread_locks), running the
graph on a worker thread (agents.turn_runner), the answer to a pending confirmation
(agents.confirmation_flow), the routing log (agents.routing_log) and the public turn shape
(agents.turn_summary).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any, Protocol

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph

from agents.confirmation_flow import answer_to_confirmation, pending_confirmation, reask
from agents.consent_gate import consent_gate
from agents.graph import SUPERVISOR_NODE
from agents.routing_log import RoutingLogWriter, log_turn, turn_routing
from agents.thread_locks import ThreadLocks
from agents.threads import owner_metadata, thread_config, thread_key
from agents.tracing import TurnTracer, start_turn
from agents.turn_runner import run_turn
from agents.turn_summary import last_reply, turn_tool_calls
from agents.turns import ChatEvent, PendingConfirmation, TurnResult
from commerce.identity.erasure import EraseSubjectData
from commerce.identity.principal import Principal
from commerce.identity.services import get_principal
from commerce.shared.errors import InvalidInput
from commerce.shared.messagebus import MessageBus
from router.recording import RoutingRecord, current_request_id
from tools.context import AgentContext
from tools.knowledge_hook import Retriever

ERASE_TOOL = "erase_my_data"
MAX_MESSAGE_CHARS = 4000
RECURSION_LIMIT = 30


class TurnObserver(Protocol):
    """What watches turns from outside (metrics): a turn started; it ended with an agent, an outcome
    (answered, confirmation, error) and its tool calls as (name, status)."""

    def started(self) -> None: ...

    def finished(self, agent: str, outcome: str, tools: list[tuple[str, str]]) -> None: ...


class ChatService:
    """Runs turns of the supervisor graph for authenticated principals."""

    def __init__(self, graph: CompiledStateGraph[Any, Any, Any, Any], bus: MessageBus, *, model_name: str,
                 log_writer: RoutingLogWriter | None = None, knowledge: Retriever | None = None,
                 observer: TurnObserver | None = None) -> None:
        self.graph = graph
        self.observer = observer
        self.knowledge = knowledge
        self.bus = bus
        self.model_name = model_name
        self._log_writer = log_writer
        self._locks = ThreadLocks()

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
        if self.observer is None:
            yield from self._stream(principal, thread_id, message, channel)
            return
        self.observer.started()
        agent, outcome, tools = "none", "error", []
        try:
            for event in self._stream(principal, thread_id, message, channel):
                if event.type == "final":
                    agent = str(event.data.get("agent") or "none")
                    outcome = "confirmation" if event.data.get("pending_confirmation") else "answered"
                    tools = [(str(c["name"]), str(c["status"])) for c in event.data.get("tool_calls") or []]
                yield event
        finally:
            self.observer.finished(agent, outcome, tools)

    def _stream(self, principal: Principal, thread_id: str, message: str, channel: str) -> Iterator[ChatEvent]:
        text = _validated(message)
        gate = consent_gate(self.bus, principal, text, channel)
        if gate.reply is not None:
            yield ChatEvent(type="final", data=TurnResult(
                thread_id=thread_id, agent=SUPERVISOR_NODE, reply=gate.reply, tool_calls=[],
                pending_confirmation=None, routing=turn_routing([], "")).model_dump(mode="json"))
            return
        span, traced = start_turn(agent_channel=channel)
        try:
            yield from self._traced_turn(principal, thread_id, text, channel, gate, traced)
        finally:
            span.end()

    def _traced_turn(self, principal: Principal, thread_id: str, text: str, channel: str, gate: Any,
                     traced: Any) -> Iterator[ChatEvent]:
        key = thread_key(principal, thread_id)
        config: RunnableConfig = {"configurable": {"thread_id": key}, "recursion_limit": RECURSION_LIMIT,
                                  "metadata": owner_metadata(principal), "callbacks": [TurnTracer(traced)]}
        context = AgentContext(principal=principal, bus=self.bus, thread_id=key, channel=channel,
                               request_id=current_request_id.get() or uuid.uuid4().hex, knowledge=self.knowledge,
                               cloud_transfer=gate.consent.international_transfer)
        records: list[RoutingRecord] = []
        with self._locks(key):
            state = self.graph.get_state(config)
            before = len(state.values.get("messages", []))
            pending = pending_confirmation(state)
            if pending is not None:
                step = answer_to_confirmation(text)
                if step.ask_again:
                    yield self._final(thread_id, config, before, records, text, context, asked_again=pending)
                    return
                yield from run_turn(self.graph, step.resume, config, context, records, traced)
                if not step.then_new_request:
                    yield self._final(thread_id, config, before, records, text, context)
                    return
            yield from run_turn(self.graph, {"messages": [HumanMessage(text)]}, config, context, records, traced)
            yield self._final(thread_id, config, before, records, text, context)

    def _erase_if_closed(self, context: AgentContext, calls: list[Any]) -> None:
        """After a confirmed `erase_my_data` the graph saved the thread once more and the turn was logged:
        erase again, now that nothing of the turn is left to write (erasing twice is harmless)."""
        if not any(getattr(call, "name", None) == ERASE_TOOL for call in calls):
            return
        with self.bus.read() as uow:
            still_active = get_principal(uow=uow, user_id=context.principal.user_id) is not None
        if not still_active:
            self.bus.handle(EraseSubjectData(user_id=context.principal.user_id, actor=context.principal,
                                             close_account=True, channel=context.channel))

    def history(self, *, principal: Principal, thread_id: str) -> list[dict[str, Any]]:
        """The visible messages of a thread (user and assistant text), oldest first."""
        shown = []
        for msg in self.graph.get_state(thread_config(principal, thread_id)).values.get("messages", []):
            if isinstance(msg, HumanMessage):
                shown.append({"role": "user", "text": msg.text})
            elif isinstance(msg, AIMessage) and msg.content and not msg.tool_calls:
                shown.append({"role": "assistant", "text": msg.text})
        return shown

    def _final(self, thread_id: str, config: RunnableConfig, before: int, records: list[RoutingRecord], text: str,
               context: AgentContext, asked_again: PendingConfirmation | None = None) -> ChatEvent:
        state = self.graph.get_state(config)
        messages: list[AnyMessage] = list(state.values.get("messages", []))
        pending = asked_again or pending_confirmation(state)
        calls = turn_tool_calls(messages, before, pending)
        if asked_again is not None:
            reply = reask(asked_again)
        elif pending is not None:
            reply = pending.question
        else:
            reply = last_reply(messages[before:])
        agent = state.values.get("active_agent") or SUPERVISOR_NODE
        log_turn(self._log_writer, records, context, agent)
        self._erase_if_closed(context, calls)
        result = TurnResult(thread_id=thread_id, agent=agent, reply=reply, tool_calls=calls,
                            pending_confirmation=pending, routing=turn_routing(records, text))
        return ChatEvent(type="final", data=result.model_dump(mode="json"))


def _validated(message: str) -> str:
    text = (message or "").strip()
    if not text:
        raise InvalidInput("El mensaje está vacío. Escribe tu pregunta, por ejemplo: «¿Cuánto café hay en Bogotá?».")
    if len(text) > MAX_MESSAGE_CHARS:
        raise InvalidInput(f"El mensaje es muy largo: máximo {MAX_MESSAGE_CHARS} caracteres.")
    return text
