"""Running the graph for one turn: its updates, produced on a worker thread, as chat events."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

from langchain_core.messages import AIMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph
from opentelemetry import context as otel_context

from agents.graph import SUPERVISOR_NODE
from agents.handoffs import is_handoff
from agents.turns import ChatEvent
from router.recording import (
    RoutingRecord,
    cloud_transfer_allowed,
    current_log_subject,
    current_request_id,
    current_sink,
)
from tools.context import AgentContext

_DONE = object()


def run_turn(graph: CompiledStateGraph[Any, Any, Any, Any], graph_input: Any, config: RunnableConfig,
             context: AgentContext, records: list[RoutingRecord], trace_context: Any = None) -> Iterator[ChatEvent]:
    """Stream the graph and yield `agent`, `tool_call` and `token` events (handoffs left out)."""
    for update in graph_updates(graph, graph_input, config, context, records, trace_context):
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
                        yield ChatEvent(type="token", data={"text": msg.text})


def graph_updates(graph: CompiledStateGraph[Any, Any, Any, Any], graph_input: Any, config: RunnableConfig,
                  context: AgentContext, records: list[RoutingRecord], trace_context: Any = None
                  ) -> Iterator[dict[str, Any]]:
    """The graph's updates, produced on a worker thread that owns the routing-record context.

    A streaming response resumes this generator on whatever thread serves the next chunk, so
    the context variables the router reads must not live in the generator's own frame."""
    updates: queue.Queue[Any] = queue.Queue()

    def work() -> None:
        sink, request = current_sink.set(records.append), current_request_id.set(context.request_id)
        transfer = cloud_transfer_allowed.set(context.cloud_transfer)
        subject = current_log_subject.set((str(context.principal.user_id), context.thread_id))
        # The turn's span is current on this thread: database spans (SQLAlchemy instrumentation) nest under it.
        traced = otel_context.attach(trace_context) if trace_context is not None else None
        try:
            for update in graph.stream(graph_input, config, context=context, stream_mode="updates"):
                updates.put(update)
        except BaseException as exc:  # handed to the consumer, raised there
            updates.put(exc)
        finally:
            if traced is not None:
                otel_context.detach(traced)
            current_log_subject.reset(subject)
            cloud_transfer_allowed.reset(transfer)
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
