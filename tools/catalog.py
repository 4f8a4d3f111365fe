"""The catalog tool every agent has."""

from __future__ import annotations

from commerce.marketplace import search
from commerce.shared.money import format_cop
from tools.base import Runtime, agent_tool
from tools.results import ToolResult, ok

MAX_SHOWN = 10


@agent_tool
def search_products(query: str, max_price_cop: int | None = None, *, runtime: Runtime) -> ToolResult:
    """Search the catalog by product name, words or category (accents and case ignored), best matches first.

    Use it to find the SKU of a product the user names ("café de Nariño", "audífonos") and its price.

    Args:
        query: Words of the product, e.g. "café molido nariño".
        max_price_cop: Optional maximum price in whole Colombian pesos, e.g. 50000.
    """
    ctx = runtime.context
    with ctx.bus.read() as uow:
        products = search.search_products(uow=uow, principal=ctx.principal, query=query,
                                          max_price_cop=max_price_cop, limit=MAX_SHOWN)
    cap = f" de hasta {format_cop(max_price_cop)}" if max_price_cop is not None else ""
    if not products:
        return ok(f"No encontré productos{cap} para «{query}».", [])
    listed = "; ".join(f"{p.name} ({p.sku}) {format_cop(p.price_cop)}" for p in products)
    return ok(f"Encontré {len(products)} producto(s){cap}: {listed}.", products)
