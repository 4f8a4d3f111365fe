"""The supervisor graph: one node per agent, one tools node, handoffs through tools.

    START ─► (active agent of the thread, or the supervisor)
    supervisor ─► tools (a handoff) | END (a greeting or a question back)
    agent X    ─► tools | END
    tools      ─► the active agent (the same one, or the one a handoff just chose)

The active agent persists in the checkpointed state, so a follow-up ("¿y en Bogotá?") goes
straight to the agent that handled the previous turn, which still sees the whole history.
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AnyMessage, SystemMessage
from langchain_core.runnables import Runnable
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import ToolNode

from agents.handoffs import HANDOFF_TOOLS
from agents.prompts import SUPERVISOR
from agents.specs import AGENTS, AgentSpec
from agents.state import ConversationState
from tools.context import AgentContext
from tools.registry import TOOLS

SUPERVISOR_NODE = "supervisor"
TOOLS_NODE = "tools"
# How much history goes to the model: recent turns carry the context that follow-ups need.
HISTORY_WINDOW = 40
# A tool call needs the tools node and then a model node that reads its result, and LangGraph ends
# a run with GraphRecursionError once a step runs with none left (remaining 0): with fewer than
# three steps left the model answers this instead of calling a tool.
STEPS_FOR_A_TOOL_ROUND = 3
STEP_LIMIT_TEXT = ("No pude completar tu solicitud: necesité demasiados pasos. "
                   "Intenta de nuevo con una pregunta más concreta.")


def recent(messages: list[AnyMessage], window: int = HISTORY_WINDOW) -> list[AnyMessage]:
    """The last `window` messages, never starting on a tool result whose call was cut off."""
    if len(messages) <= window:
        return list(messages)
    cut = messages[-window:]
    while cut and cut[0].type != "human":
        cut = cut[1:]
    return cut or list(messages[-1:])


# Beyond this an integer is no amount anyone means, and the checkpointer (msgpack) cannot store it.
MAX_SAFE_INT = 2**53


def safe_args(value: Any) -> Any:
    """Tool-call arguments with out-of-range integers turned into text: the tool's validation then
    answers in Spanish ("debe ser un número…") instead of the turn failing to be saved."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) > MAX_SAFE_INT:
        return str(value)
    if isinstance(value, dict):
        return {key: safe_args(item) for key, item in value.items()}
    if isinstance(value, list):
        return [safe_args(item) for item in value]
    return value


def _out_of_steps(state: ConversationState, reply: Any) -> bool:
    """Would running this reply's tool calls hit the recursion limit before a model could answer?"""
    remaining = state.get("remaining_steps", STEPS_FOR_A_TOOL_ROUND)
    return isinstance(reply, AIMessage) and bool(reply.tool_calls) and remaining < STEPS_FOR_A_TOOL_ROUND


def _model_node(name: str, prompt: str, model: Runnable[Any, Any]) -> Any:
    def call(state: ConversationState) -> dict[str, Any]:
        reply = model.invoke([SystemMessage(prompt), *recent(state.get("messages", []))])
        if _out_of_steps(state, reply):
            # Drop the calls rather than store them unanswered: every tool call in the thread keeps
            # its ToolMessage, so the next turn starts from a valid history.
            reply = AIMessage(id=reply.id, content=STEP_LIMIT_TEXT, response_metadata=reply.response_metadata)
        elif isinstance(reply, AIMessage) and reply.tool_calls:
            reply.tool_calls = [{**tc, "args": safe_args(tc["args"])} for tc in reply.tool_calls]
        update: dict[str, Any] = {"messages": [reply]}
        if name != SUPERVISOR_NODE:
            update["active_agent"] = name
        return update

    call.__name__ = f"{name}_node"
    return call


def _bind(model: BaseChatModel, spec: AgentSpec) -> Runnable[Any, Any]:
    handoffs = [tool for agent, tool in HANDOFF_TOOLS.items() if agent != spec.name]
    return model.bind_tools([*spec.tools(), *handoffs])


def _after_model(state: ConversationState) -> str:
    last = state["messages"][-1]
    return TOOLS_NODE if isinstance(last, AIMessage) and last.tool_calls else END


def _after_tools(state: ConversationState) -> str:
    return state.get("active_agent") or SUPERVISOR_NODE


def _entry(state: ConversationState) -> str:
    return state.get("active_agent") or SUPERVISOR_NODE


def build_graph(model: BaseChatModel, checkpointer: BaseCheckpointSaver[Any] | None = None
                ) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Compile the supervisor graph over `model` (any LangChain chat model with tool calling)."""
    graph = StateGraph(ConversationState, context_schema=AgentContext)
    graph.add_node(SUPERVISOR_NODE, _model_node(SUPERVISOR_NODE, SUPERVISOR,
                                                model.bind_tools(list(HANDOFF_TOOLS.values()))))
    for spec in AGENTS.values():
        graph.add_node(spec.name, _model_node(spec.name, spec.prompt, _bind(model, spec)))
        graph.add_conditional_edges(spec.name, _after_model, [TOOLS_NODE, END])
    graph.add_node(TOOLS_NODE, ToolNode([*TOOLS.values(), *HANDOFF_TOOLS.values()]))
    nodes = [SUPERVISOR_NODE, *AGENTS]
    graph.add_conditional_edges(START, _entry, nodes)
    graph.add_conditional_edges(SUPERVISOR_NODE, _after_model, [TOOLS_NODE, END])
    graph.add_conditional_edges(TOOLS_NODE, _after_tools, nodes)
    return graph.compile(checkpointer=checkpointer)
