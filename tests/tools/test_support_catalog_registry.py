"""search_products, the knowledge hook, escalation, and the registry contract."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import BaseModel
from sqlalchemy import func, select

from commerce.identity.principal import ANONYMOUS
from commerce.support import SupportTicket
from infra.bootstrap import Platform
from tests.tools.conftest import CAFE, LAURA, Harness
from tools.registry import AGENT_TOOLS, TOOLS, WRITE_TOOLS, tools_for
from tools.support import NO_KNOWLEDGE


def test_search_products_for_everyone(harness: Harness) -> None:
    out = harness.call(LAURA, "search_products", {"query": "cafe narino"})
    assert [p["sku"] for p in out.result["data"]] == ["CAF-002"]  # type: ignore[index]
    cheap = harness.call(CAFE, "search_products", {"query": "café", "max_price_cop": 25000}, thread="t-2")
    assert cheap.result["data"] and all(p["price_cop"] <= 25000 for p in cheap.result["data"])  # type: ignore[index]
    assert harness.call(LAURA, "search_products", {"query": "café", "max_price_cop": 0}, thread="t-3").status == "error"


def test_search_knowledge_without_and_with_retriever(harness: Harness) -> None:
    out = harness.call(LAURA, "search_knowledge", {"query": "¿cuánto tarda un envío?"})
    assert out.result == {"status": "ok", "message": NO_KNOWLEDGE, "data": []}


@pytest.fixture
def retriever(harness: Harness) -> Iterator[None]:
    harness.knowledge = lambda q: [{"text": "Bogotá: 1-2 días hábiles.", "title": "Envíos", "source": "envios.md"}]
    yield


@pytest.mark.usefixtures("retriever")
def test_search_knowledge_uses_registered_retriever(harness: Harness) -> None:
    out = harness.call(LAURA, "search_knowledge", {"query": "envíos a Bogotá"})
    assert out.result["data"][0]["source"] == "envios.md" and "Envíos" in out.result["message"]  # type: ignore[index]


def tickets(platform: Platform) -> int:
    with platform.read_uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(SupportTicket)) or 0)


def test_escalate_opens_one_ticket_per_tool_call(harness: Harness, platform: Platform) -> None:
    first = harness.call(LAURA, "escalate_to_human", {"summary": "Mi pedido llegó roto"}, call_id="c-9")
    again = harness.call(LAURA, "escalate_to_human", {"summary": "Mi pedido llegó roto"}, call_id="c-9")
    assert first.status == "ok" and again.result == first.result
    assert first.result["data"]["user_id"] == LAURA.user_id  # type: ignore[index]
    assert tickets(platform) == 1
    assert harness.call(ANONYMOUS, "escalate_to_human", {"summary": "hola hola"}, thread="t-2").status == "denied"
    assert harness.call(LAURA, "escalate_to_human", {"summary": ""}, thread="t-3").status == "error"
    assert tickets(platform) == 1


def test_registry_contract() -> None:
    assert all("search_products" in names for names in AGENT_TOOLS.values())
    assert set(TOOLS) == {name for names in AGENT_TOOLS.values() for name in names}
    assert set(TOOLS) >= WRITE_TOOLS
    assert [t.name for t in tools_for("seller")] == AGENT_TOOLS["seller"]
    with pytest.raises(ValueError, match="unknown agent"):
        tools_for("marketing")


@pytest.mark.parametrize("name", sorted(TOOLS))
def test_model_never_sees_principal_or_bus(name: str) -> None:
    schema = TOOLS[name].tool_call_schema
    assert isinstance(schema, type) and issubclass(schema, BaseModel)
    exposed = set(schema.model_json_schema().get("properties", {}))
    assert not exposed & {"runtime", "principal", "bus", "context", "user_id", "seller_id", "buyer_id"}
    assert TOOLS[name].description
