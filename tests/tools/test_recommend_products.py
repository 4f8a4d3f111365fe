"""recommend_products and the hybrid search_products through the agent tool path (LangGraph ToolNode)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from commerce.identity.principal import Principal, Role
from infra.bootstrap import Platform, bootstrap
from infra.product_index import ChromaProductIndex
from infra.settings import Settings
from tests.catalog_index import build_catalog_index
from tests.tools.conftest import ANDRES, LAURA, MODA, TECH, Harness

PUBLIC_FIELDS = {"sku", "name", "category", "description", "price_cop", "seller_id", "warehouse", "warehouse_city"}


@pytest.fixture(scope="module")
def catalog_index(tmp_path_factory: pytest.TempPathFactory) -> ChromaProductIndex:
    return build_catalog_index(tmp_path_factory.mktemp("catalog") / "chroma")


@pytest.fixture
def indexed(settings: Settings, catalog_index: ChromaProductIndex) -> Iterator[Harness]:
    platform: Platform = bootstrap(settings, product_index=catalog_index)
    yield Harness(platform)
    platform.close()


def test_recommend_products_shape_and_nearest_warehouse(indexed: Harness) -> None:
    out = indexed.call(ANDRES, "recommend_products", {"sku": "mod-101"})  # a buyer in Medellín
    assert out.status == "ok"
    data = out.result["data"]  # type: ignore[index]
    assert data["sku"] == "MOD-101" and data["ship_to_city"] == "Medellín" and data["semantic"] is True
    assert data["products"] and all(set(p) == PUBLIC_FIELDS for p in data["products"])
    assert "MOD-101" not in [p["sku"] for p in data["products"]]
    # The mochila has stock only in Medellín (Itagüí) among the warehouses: it ships from there.
    mochila = next(p for p in data["products"] if p["sku"] == "MOD-103")
    assert mochila["warehouse"] == "MED"
    assert "Productos parecidos a Ruana de lana virgen gris" in out.result["message"]  # type: ignore[index]
    assert "$" in out.result["message"]  # type: ignore[index]


def test_another_sellers_caller_sees_only_the_public_listing(indexed: Harness) -> None:
    # A seller asking about a competitor's product gets what any buyer sees: no cost, supplier or units.
    out = indexed.call(TECH, "recommend_products", {"sku": "MOD-103"})
    assert out.status == "ok"
    text = str(out.result)
    for private in ("unit_cost", "supplier", "moq", "on_hand", "reserved", "available"):
        assert private not in text
    assert out.result["data"]["ship_to_city"] is None  # type: ignore[index]  # not a buyer: no city


def test_recommend_products_refuses_without_catalog_scope_and_unknown_skus(indexed: Harness) -> None:
    nobody = Principal(user_id=99, email="x@example.co", role=Role.COMPRADOR, scopes=frozenset())
    refused = indexed.call(nobody, "recommend_products", {"sku": "MOD-101"})
    assert refused.status == "denied" and refused.result["data"] is None  # type: ignore[index]
    missing = indexed.call(LAURA, "recommend_products", {"sku": "XYZ-999"}, thread="t-2")
    assert missing.status == "not_found" and "XYZ-999" in missing.result["message"]  # type: ignore[index]


def test_search_products_tool_is_hybrid(indexed: Harness) -> None:
    out = indexed.call(MODA, "search_products", {"query": "algo para el frío"})
    assert out.result["data"][0]["sku"] == "MOD-101"  # type: ignore[index]
    assert out.result["data"][0]["description"]  # type: ignore[index]


def test_recommend_without_an_index_uses_the_category(harness: Harness) -> None:
    out = harness.call(LAURA, "recommend_products", {"sku": "CAF-001"})
    data = out.result["data"]  # type: ignore[index]
    assert out.status == "ok" and data["semantic"] is False
    assert {p["category"] for p in data["products"]} == {"Café"} and data["ship_to_city"] == "Bogotá D.C."
    assert all(p["warehouse"] == "BOG" for p in data["products"])  # every coffee is in stock in Bogotá
