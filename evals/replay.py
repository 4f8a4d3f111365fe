"""The expected database end state, τ-bench style: replay the expected calls on a fresh seed.

The calls run through the real tools (the same `ToolNode`, run-time context and confirmation
interrupt the agents use) with no model in between; a write the task expects the user to confirm
is resumed with "confirm", one it expects declined or refused is not run. Free-text arguments the
task leaves open (`*`) get a placeholder: the columns they fill are not part of the state hash.
"""

from __future__ import annotations

import uuid
from typing import Any

from langchain_core.messages import AIMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode
from langgraph.types import Command

from evals.tasks import ANY, ExpectedCall, Task
from evals.world import World, principal_for, state_hash, table_rows, touched_rows
from tools.context import AgentContext
from tools.registry import TOOLS, WRITE_TOOLS

PLACEHOLDER = "Solicitado en la evaluación"


def _concrete(args: dict[str, Any]) -> dict[str, Any]:
    return {key: PLACEHOLDER if value == ANY else value for key, value in args.items()}


def _graph() -> Any:
    builder = StateGraph(MessagesState, context_schema=AgentContext)
    builder.add_node("tools", ToolNode(list(TOOLS.values())))
    builder.add_edge(START, "tools")
    builder.add_edge("tools", END)
    return builder.compile(checkpointer=InMemorySaver())


def runs_in_replay(call: ExpectedCall) -> bool:
    """Reads always run; a write runs only when the task expects the user to confirm it."""
    return call.name not in WRITE_TOOLS or bool(call.confirmed)


def expected_state(world: World, task: Task) -> tuple[str, dict[str, Any]]:
    """The state hash (and touched rows) that the task's expected calls leave on a fresh seed."""
    calls = [call for call in task.expected_calls if runs_in_replay(call)]
    if not calls and not task.setup:
        return state_hash({}), {}
    graph = _graph()
    with world.fresh(f"{task.id}-replay-{uuid.uuid4().hex[:6]}", task.setup) as platform:
        principal = principal_for(platform, task.email)
        for n, call in enumerate(calls):
            thread = f"replay-{n}"
            config: Any = {"configurable": {"thread_id": thread}}
            context = AgentContext(principal=principal, bus=platform.bus, thread_id=thread, channel="eval")
            message = AIMessage(content="", tool_calls=[{"name": call.name, "args": _concrete(call.args),
                                                          "id": f"replay_{n}", "type": "tool_call"}])
            graph.invoke({"messages": [message]}, config, context=context)
            if graph.get_state(config).interrupts:
                graph.invoke(Command(resume={"decision": "confirm"}), config, context=context)
        diff = touched_rows(world.template_rows(), table_rows(platform.engine))
    return state_hash(diff), diff
