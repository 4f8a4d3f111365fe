"""A model stuck in a tool loop: the supervisor graph answers in Spanish before LangGraph's recursion
limit, and leaves a thread whose every tool call has its result, so the next turn works."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable, RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver

from agents.graph import STEP_LIMIT_TEXT, build_graph
from commerce.identity.principal import Principal, Role
from infra.bootstrap import Platform
from tools.context import AgentContext

CAFE = Principal.for_role(user_id=3, email="ventas@cafeorigen.example.co", role=Role.CLIENTE, seller_id="SEL-CAFE")


class LoopingModel(BaseChatModel):
    """Calls get_stock on every call while `looping`; otherwise answers with text."""

    looping: bool = True
    calls: int = 0

    @property
    def _llm_type(self) -> str:
        return "looping-fake"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Runnable[LanguageModelInput, AIMessage]:
        return self  # the same instance in every node, so `calls` counts them all

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        self.calls += 1
        if not self.looping:
            return ChatResult(generations=[ChatGeneration(message=AIMessage("Hay 120 unidades de CAF-001."))])
        call = {"name": "get_stock", "args": {"sku": "CAF-001"}, "id": f"call_{self.calls}", "type": "tool_call"}
        return ChatResult(generations=[ChatGeneration(message=AIMessage("", tool_calls=[call]))])


def _unanswered(messages: list[BaseMessage]) -> set[str]:
    asked = {tc["id"] for m in messages if isinstance(m, AIMessage) for tc in m.tool_calls}
    answered = {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}
    return asked - answered


@pytest.mark.parametrize("limit", [4, 5, 6, 7, 30])
def test_a_tool_loop_ends_with_a_spanish_answer_and_a_valid_thread(platform: Platform, limit: int) -> None:
    model = LoopingModel()
    graph = build_graph(model, InMemorySaver())
    config: RunnableConfig = {"configurable": {"thread_id": f"loop-{limit}"}, "recursion_limit": limit}
    context = AgentContext(principal=CAFE, bus=platform.bus, thread_id=f"loop-{limit}")

    state = graph.invoke({"messages": [HumanMessage("¿Cuánto café hay?")]}, config, context=context)

    last = state["messages"][-1]
    assert isinstance(last, AIMessage) and not last.tool_calls
    assert last.content == STEP_LIMIT_TEXT and last.content.startswith("No pude completar tu solicitud")
    assert _unanswered(state["messages"]) == set()
    # The model really looped until the last round the limit allows: one model call every two steps.
    assert model.calls == limit // 2
    tool_results = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    assert len(tool_results) == model.calls - 1 and all('"status": "ok"' in str(m.content) for m in tool_results)

    model.looping = False
    after = graph.invoke({"messages": [HumanMessage("¿Y cuánto hay en total?")]}, config, context=context)
    assert after["messages"][-1].content == "Hay 120 unidades de CAF-001."
    assert _unanswered(after["messages"]) == set()
