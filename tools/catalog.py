"""The catalog tools: search (every agent) and similar products."""

from __future__ import annotations

from commerce import recommendations
from commerce.marketplace import search
from commerce.shared.money import format_cop
from tools.base import Runtime, agent_tool, canonical_code
from tools.results import ToolResult, ok

MAX_SHOWN = 10
SIMILAR_SHOWN = 5


@agent_tool
def search_products(query: str, max_price_cop: int | None = None, *, runtime: Runtime) -> ToolResult:
    """Search the catalog by product name, words, category or what the product is for (accents and case
    ignored), best matches first: "café de Nariño", "audífonos", "algo para el frío", "regalo para alguien que
    toma tinto".

    Use it to find the SKU of a product the user names or describes, and its price.

    Args:
        query: The words or the description the user gave, e.g. "café molido nariño" or "algo para el frío".
        max_price_cop: Optional maximum price in whole Colombian pesos, e.g. 50000.
    """
    ctx = runtime.context
    with ctx.bus.read() as uow:
        products = ctx.bus.view(search.search_products)(uow=uow, principal=ctx.principal, query=query,
                                                         max_price_cop=max_price_cop, limit=MAX_SHOWN)
    cap = f" de hasta {format_cop(max_price_cop)}" if max_price_cop is not None else ""
    if not products:
        return ok(f"No encontré productos{cap} para «{query}».", [])
    listed = "; ".join(f"{p.name} ({p.sku}) {format_cop(p.price_cop)}" for p in products)
    return ok(f"Encontré {len(products)} producto(s){cap}: {listed}.", products)


@agent_tool
def recommend_products(sku: str, *, runtime: Runtime) -> ToolResult:
    """Recommend products similar to one the user names ("algo parecido a la ruana"), only ones in stock, each
    with the warehouse nearest the buyer that has it.

    Args:
        sku: The SKU of the product the recommendations should resemble, e.g. "MOD-101".
    """
    ctx = runtime.context
    with ctx.bus.read() as uow:
        found = ctx.bus.view(recommendations.similar_products)(uow=uow, principal=ctx.principal,
                                                               sku=canonical_code(sku) or "", limit=SIMILAR_SHOWN)
    if not found.products:
        return ok(f"Por ahora no tengo productos parecidos a {found.name} con existencias.", found)
    listed = "; ".join(f"{p.name} ({p.sku}) {format_cop(p.price_cop)}, sale de {p.warehouse_city}"
                       for p in found.products)
    return ok(f"Productos parecidos a {found.name}: {listed}.", found)
