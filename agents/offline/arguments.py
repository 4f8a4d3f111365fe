"""Helpers the argument builders share: the product, the warehouse, optional arguments, the product question.

Each tool's own builder lives with its rule in `agents/offline/tools/`.
"""

from __future__ import annotations

from agents.offline.decision import Decision, ThreadContext
from agents.offline.extract import Entities
from agents.offline.lexicon import Lexicon


def which_product(skus: tuple[str, ...], lexicon: Lexicon) -> str:
    """One short question listing the candidate products."""
    names = []
    for sku in skus:
        product = lexicon.product(sku)
        names.append(f"{product.name} ({sku})" if product else sku)
    listed = ", ".join(names[:-1]) + f" o {names[-1]}" if len(names) > 1 else names[0]
    return f"¿A cuál producto te refieres: {listed}?"


def product_or_question(
    tool: str, ents: Entities, ctx: ThreadContext, lexicon: Lexicon, question: str
) -> str | Decision:
    """The product of the message, else the one the thread was about; a question when unclear."""
    if ents.product.sku:
        return ents.product.sku
    if ents.product.skus:
        return Decision(tool=tool, text=which_product(ents.product.skus, lexicon))
    if ctx.sku:
        return ctx.sku
    return Decision(tool=tool, text=question)


def warehouse_of(ents: Entities, ctx: ThreadContext, tool: str) -> str | None:
    """The warehouse the message names, else the one the same tool used last turn; None for "en todas"."""
    if ents.all_warehouses:
        return None
    if ents.codes:
        return ents.codes[0]
    return ctx.args.get("warehouse") if ctx.tool == tool else None


def optional(**values: object) -> dict[str, object]:
    """The arguments that have a value (a tool's optional arguments are left out, not sent as null)."""
    return {k: v for k, v in values.items() if v is not None}
