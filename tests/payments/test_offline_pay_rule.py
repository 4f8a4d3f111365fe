"""The offline model reads payment requests as pay_order, and payment questions as the policy they are."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from agents.offline import Lexicon
from agents.offline.model import respond
from tools.registry import AGENT_TOOLS

WORLD = Path(__file__).resolve().parents[2] / "infra" / "seed" / "demo-world.json"
ALL_TOOLS: dict[str, dict[str, Any]] = {tool: {} for tools in AGENT_TOOLS.values() for tool in tools}


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    world = json.loads(WORLD.read_text(encoding="utf-8"))
    return Lexicon.from_rows(world["products"], world["warehouses"], [o["id"] for o in world["orders"]])


@pytest.mark.parametrize(("text", "args"), [
    ("quiero pagar el pedido 1002 con Nequi", {"order_id": "ORD-1002", "method": "nequi"}),
    ("págalo con PSE, el pedido 1002", {"order_id": "ORD-1002", "method": "pse"}),
    ("mándame el link de pago del pedido 1002 con tarjeta", {"order_id": "ORD-1002", "method": "tarjeta"}),
    ("pagar pedido 1002 por mercado pago", {"order_id": "ORD-1002", "method": "mercado pago"}),
    ("quiero pagar con efecty el 1002", {"order_id": "ORD-1002", "method": "efecty"}),
    ("quiero pagar el pedido mil dos", {"order_id": "ORD-1002"}),
])
def test_payment_requests_become_pay_order(lexicon: Lexicon, text: str, args: dict[str, str]) -> None:
    message = respond([HumanMessage(text)], ALL_TOOLS, lexicon)
    assert [(c["name"], c["args"]) for c in message.tool_calls] == [("pay_order", args)]


@pytest.mark.parametrize(("text", "tool"), [
    ("¿puedo pagar con Nequi?", "search_knowledge"),
    ("¿qué medios de pago aceptan?", "search_knowledge"),
    ("si no pago hoy, ¿qué pasa?", "search_knowledge"),
    ("se puede pagar con efecty?", "search_knowledge"),
    ("¿ya está pagado el pedido 1004?", "get_order"),
    ("ya pagaron la orden 1002?", "get_order"),
    ("cancelar ORD-1002 porque me demoré en pagar", "cancel_order"),
])
def test_payment_questions_are_not_payments(lexicon: Lexicon, text: str, tool: str) -> None:
    message = respond([HumanMessage(text)], ALL_TOOLS, lexicon)
    assert [c["name"] for c in message.tool_calls] == [tool]
