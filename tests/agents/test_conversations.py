"""Whole conversations through the supervisor graph with the offline model, on the seeded platform."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from agents.chat import ChatService
from commerce.fulfillment.models import StockLevel
from infra.bootstrap import Platform
from tests.agents.conftest import ADMIN, CAFE, LAURA, conversation


def _level(platform: Platform, sku: str, warehouse: str) -> tuple[int, int]:
    with platform.read_uow() as uow:
        lv = uow.session.scalars(select(StockLevel).where(StockLevel.sku == sku,
                                                          StockLevel.warehouse == warehouse)).one()
        return lv.on_hand, lv.reserved


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_stock_question_then_follow_up_keeps_agent_and_sku(chat: ChatService) -> None:
    say = conversation(chat, CAFE)
    first = say("¿Cuántas unidades hay de CAF-001?")
    assert first.agent == "inventory"
    assert [c.name for c in first.tool_calls] == ["get_stock"] and first.tool_calls[0].status == "ok"
    assert first.tool_calls[0].args["sku"] == "CAF-001"
    follow = say("¿y en Medellín?")
    assert follow.agent == "inventory"
    assert follow.tool_calls[0].args == {"sku": "CAF-001", "warehouse": "MED"}
    assert "85" in follow.reply


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_transfer_waits_for_confirmation_and_runs_once(chat: ChatService, platform: Platform) -> None:
    say = conversation(chat, ADMIN)
    before = _level(platform, "CAF-001", "BOG"), _level(platform, "CAF-001", "MED")
    asked = say("traslada veinte unidades de café huila de bogotá a medellín")
    assert asked.pending_confirmation is not None, asked
    assert asked.pending_confirmation.tool == "transfer_stock"
    assert asked.tool_calls[0].status == "pending_confirmation"
    assert (_level(platform, "CAF-001", "BOG"), _level(platform, "CAF-001", "MED")) == before
    done = say("sí, dale")
    assert done.pending_confirmation is None
    assert [(c.name, c.status) for c in done.tool_calls] == [("transfer_stock", "ok")]
    assert _level(platform, "CAF-001", "BOG")[0] == before[0][0] - 20
    assert _level(platform, "CAF-001", "MED")[0] == before[1][0] + 20
    again = say("sí")
    assert _level(platform, "CAF-001", "BOG")[0] == before[0][0] - 20, again


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_handoff_leaves_a_valid_history(chat: ChatService) -> None:
    say = conversation(chat, LAURA)
    assert say("¿dónde está mi pedido 1001?").agent == "order"
    moved = say("¿cuánto café huila hay en bogotá?")
    assert moved.agent == "inventory"
    state = chat.graph.get_state({"configurable": {"thread_id": f"u{LAURA.user_id}:t1"}})
    calls = {c["id"] for m in state.values["messages"] if m.type == "ai" for c in m.tool_calls}
    answered = {m.tool_call_id for m in state.values["messages"] if m.type == "tool"}
    assert calls == answered
