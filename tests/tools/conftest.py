"""Call tools the way agents do: through a compiled LangGraph with a checkpointer and AgentContext.

A scripted "model" node emits one fixed tool call; a ToolNode runs it; interrupts and resumes are
real LangGraph interrupts on an InMemorySaver, so confirmations behave as in the chat service.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import ToolNode
from langgraph.types import Command
from sqlalchemy import func, select

from commerce.fulfillment.models import Movement, PurchaseOrder, StockLevel
from commerce.identity.principal import Principal, Role
from commerce.marketplace.models import Order, Product
from commerce.shared.outbox import OutboxMessage
from infra.bootstrap import Platform
from tools.context import AgentContext
from tools.knowledge_hook import Retriever
from tools.registry import TOOLS

LAURA = Principal.for_role(user_id=6, email="laura.gomez@example.co", role=Role.COMPRADOR, buyer_id="BUY-001")
ANDRES = Principal.for_role(user_id=7, email="andres.restrepo@example.co", role=Role.COMPRADOR, buyer_id="BUY-002")
CAFE = Principal.for_role(user_id=3, email="ventas@cafeorigen.example.co", role=Role.CLIENTE, seller_id="SEL-CAFE")
MODA = Principal.for_role(user_id=4, email="contacto@modaandina.example.co", role=Role.CLIENTE, seller_id="SEL-MODA")
TECH = Principal.for_role(user_id=5, email="soporte@tecnohogar.example.co", role=Role.CLIENTE, seller_id="SEL-TECH")
ADMIN = Principal.for_role(user_id=2, email="admin@mestocker.example.co", role=Role.ADMIN)


@dataclass
class Outcome:
    """What one graph run produced: a tool result, or a pending confirmation."""

    result: dict[str, Any] | None
    interrupt: dict[str, Any] | None
    config: RunnableConfig

    @property
    def status(self) -> str:
        if self.interrupt is not None:
            return "pending_confirmation"
        assert self.result is not None
        return str(self.result["status"])


def _graph(call: dict[str, Any], checkpointer: InMemorySaver) -> CompiledStateGraph[Any, Any, Any, Any]:
    def scripted_model(state: MessagesState) -> dict[str, Any]:
        return {"messages": [AIMessage("", tool_calls=[call])]}

    builder = StateGraph(MessagesState, context_schema=AgentContext)
    builder.add_node("model", scripted_model)
    builder.add_node("tools", ToolNode(list(TOOLS.values())))
    builder.add_edge(START, "model")
    builder.add_edge("model", "tools")
    builder.add_edge("tools", END)
    return builder.compile(checkpointer=checkpointer)


@dataclass
class Harness:
    platform: Platform
    checkpointer: InMemorySaver = field(default_factory=InMemorySaver)
    graphs: dict[str, CompiledStateGraph[Any, Any, Any, Any]] = field(default_factory=dict)
    knowledge: Retriever | None = None  # what the chat service would put in the run-time context

    def context(self, principal: Principal, thread: str) -> AgentContext:
        return AgentContext(principal=principal, bus=self.platform.bus, thread_id=thread, channel="eval",
                            knowledge=self.knowledge)

    def call(self, principal: Principal, name: str, args: dict[str, Any], *, thread: str = "t-1",
             call_id: str = "call-1") -> Outcome:
        graph = self.graphs[thread] = _graph({"name": name, "args": args, "id": call_id, "type": "tool_call"},
                                             self.checkpointer)
        config: RunnableConfig = {"configurable": {"thread_id": thread}}
        state = graph.invoke({"messages": [("user", "hola")]}, config, context=self.context(principal, thread))
        return self._outcome(state, config)

    def resume(self, principal: Principal, decision: str, *, thread: str = "t-1",
               checkpoint: RunnableConfig | None = None) -> Outcome:
        config: RunnableConfig = checkpoint or {"configurable": {"thread_id": thread}}
        state = self.graphs[thread].invoke(Command(resume={"decision": decision}), config,
                                           context=self.context(principal, thread))
        return self._outcome(state, config)

    def pending_checkpoint(self, thread: str = "t-1") -> RunnableConfig:
        """The config of the newest checkpoint waiting at the confirmation (to resume it again)."""
        for snapshot in self.graphs[thread].get_state_history({"configurable": {"thread_id": thread}}):
            if snapshot.next == ("tools",) and snapshot.interrupts:
                return snapshot.config
        raise AssertionError("no pending confirmation in this thread")

    @staticmethod
    def _outcome(state: dict[str, Any], config: RunnableConfig) -> Outcome:
        if state.get("__interrupt__"):
            return Outcome(None, state["__interrupt__"][0].value, config)
        message = state["messages"][-1]
        assert isinstance(message, ToolMessage)
        return Outcome(json.loads(str(message.content)), None, config)


@pytest.fixture
def harness(platform: Platform) -> Iterator[Harness]:
    yield Harness(platform)


def snapshot(platform: Platform) -> dict[str, Any]:
    """Everything a write tool could change, to assert that nothing changed."""
    with platform.read_uow() as uow:
        s = uow.session
        return {
            "movements": s.scalar(select(func.count()).select_from(Movement)),
            "outbox": s.scalar(select(func.count()).select_from(OutboxMessage)),
            "orders": sorted((o.id, o.status) for o in s.scalars(select(Order))),
            "levels": sorted((lv.sku, lv.warehouse, lv.on_hand, lv.reserved) for lv in s.scalars(select(StockLevel))),
            "prices": sorted((p.sku, p.price_cop) for p in s.scalars(select(Product))),
            "purchase_orders": sorted((po.id, po.status) for po in s.scalars(select(PurchaseOrder))),
        }


def level(platform: Platform, sku: str, warehouse: str) -> tuple[int, int]:
    with platform.read_uow() as uow:
        row = uow.session.get(StockLevel, (sku, warehouse))
        assert row is not None
        return row.on_hand, row.reserved


def events_named(platform: Platform, name: str, key: str | None = None) -> int:
    with platform.read_uow() as uow:
        stmt = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.name == name)
        if key is not None:
            stmt = stmt.where(OutboxMessage.key == key)
        return int(uow.session.scalar(stmt) or 0)
