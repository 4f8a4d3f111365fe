"""OpenTelemetry spans of a chat turn: `chat.turn`, then one `agent <node>` per graph node and one
`tool <name>` per tool call (under a `tools` span, child of the agent that asked), all under the HTTP
span. Only the OpenTelemetry API: without a configured provider (infra/tracing.py) every span is a no-op.

The graph runs on a worker thread and a streaming response resumes on any thread, so spans are parented
explicitly (LangChain callbacks keyed by run id), never through the caller's context variables.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode

tracer = trace.get_tracer("mestocker.agents")


def start_turn(*, agent_channel: str, principal_hash: str | None = None) -> tuple[Span, otel_context.Context]:
    """The turn's span, child of the current (HTTP) span, and a context that carries it to the worker."""
    span = tracer.start_span("chat.turn", attributes={"mestocker.channel": agent_channel})
    if principal_hash:
        span.set_attribute("mestocker.principal_hash", principal_hash)
    return span, trace.set_span_in_context(span)


class TurnTracer(BaseCallbackHandler):
    """Spans for the graph's top-level nodes (agents) and its tool calls, under the turn's span."""

    def __init__(self, parent: otel_context.Context) -> None:
        self._parent = parent
        self._spans: dict[UUID, Span] = {}
        self._last_agent: Span | None = None

    def _context_of(self, parent_run_id: UUID | None) -> otel_context.Context:
        # The nearest traced ancestor: chains between a node and its tools are not spans of their own.
        span = self._spans.get(parent_run_id) if parent_run_id else None
        return trace.set_span_in_context(span) if span is not None else self._parent

    def on_chain_start(self, serialized: dict[str, Any] | None, inputs: Any, *, run_id: UUID,
                       parent_run_id: UUID | None = None, metadata: dict[str, Any] | None = None,
                       **kwargs: Any) -> None:
        node = (metadata or {}).get("langgraph_node")
        name = kwargs.get("name")
        if node and name == node and node == "tools":
            # The tool node runs the calls the last agent made: its span is that agent's child.
            parent = trace.set_span_in_context(self._last_agent) if self._last_agent is not None else self._parent
            self._spans[run_id] = tracer.start_span("tools", context=parent)
        elif node and name == node:
            span = tracer.start_span(f"agent {node}", context=self._parent, attributes={"mestocker.agent": str(node)})
            self._spans[run_id] = self._last_agent = span
        elif parent_run_id in self._spans:
            self._spans[run_id] = self._spans[parent_run_id]  # inherit: a tool under this node finds it

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._finish(run_id)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._finish(run_id, error)

    def on_tool_start(self, serialized: dict[str, Any] | None, input_str: str, *, run_id: UUID,
                      parent_run_id: UUID | None = None, **kwargs: Any) -> None:
        name = str(kwargs.get("name") or (serialized or {}).get("name") or "tool")
        self._spans[run_id] = tracer.start_span(f"tool {name}", context=self._context_of(parent_run_id),
                                                attributes={"mestocker.tool": name})  # never the arguments

    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._finish(run_id)

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._finish(run_id, error)

    def _finish(self, run_id: UUID, error: BaseException | None = None) -> None:
        span = self._spans.pop(run_id, None)
        if span is None or any(other is span for other in self._spans.values()):
            return  # not ours, or an inherited entry: the owner ends it
        if error is not None:
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        span.end()
