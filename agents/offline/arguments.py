"""Canonical arguments per tool, or the one question that gets the missing one."""

from __future__ import annotations

from collections.abc import Callable

from agents.offline.decision import Decision, ThreadContext
from agents.offline.extract import Entities, extract, reason, search_query
from agents.offline.intents import phrase_at
from agents.offline.lexicon import Lexicon
from agents.offline.normalize import Utterance

Builder = Callable[[Utterance, Entities, ThreadContext, Lexicon], Decision]
_ORDER_QUESTION = "¿Cuál es el número del pedido (por ejemplo, ORD-1001)?"
_FROM_MARKS = frozenset({"de", "desde", "del"})
_TO_MARKS = frozenset({"a", "hacia", "para", "al", "pa"})
_UP_WORDS = ("sube", "subir", "subele", "aument", "increment")
_DOWN_WORDS = ("baja", "bajar", "bajale", "rebaj", "descuento", "disminu", "reduc")
_THERE = ("alla", "alli", "ahi")
_DEFAULT_CANCEL_REASON = "Solicitado por el cliente en el chat"


def which_product(skus: tuple[str, ...], lexicon: Lexicon) -> str:
    """One short question listing the candidate products."""
    names = []
    for sku in skus:
        product = lexicon.product(sku)
        names.append(f"{product.name} ({sku})" if product else sku)
    listed = ", ".join(names[:-1]) + f" o {names[-1]}" if len(names) > 1 else names[0]
    return f"¿A cuál producto te refieres: {listed}?"


def price_change(utt: Utterance, ents: Entities, current: int) -> int | None:
    """New price from "súbele 10%", "bájale 5 mil" (relative) or "a $41.900" (absolute)."""
    up = any(phrase_at(utt, w) >= 0 for w in _UP_WORDS)
    down = any(phrase_at(utt, w) >= 0 for w in _DOWN_WORDS)
    sign = 1 if up else -1 if down else 0
    if ents.percent and sign and current:
        return int(round(current * (1 + sign * ents.percent / 100) / 100.0) * 100)
    if ents.price is None:
        return None
    before = utt.tokens[max(0, ents.price_index - 2) : ents.price_index]
    absolute = "a" in before or "quede" in before or "cueste" in before or "valga" in before
    if sign and current and not absolute and ents.price < current:
        return current + sign * ents.price
    return ents.price


def cancel_reason(text: str) -> str:
    return reason(text) or _DEFAULT_CANCEL_REASON


def product_query(utt: Utterance, ents: Entities, lexicon: Lexicon) -> str:
    skip = {i for i, _ in ents.warehouses}
    return search_query(utt, lexicon, ents, skip)


def _sku(tool: str, ents: Entities, ctx: ThreadContext, lexicon: Lexicon, question: str) -> str | Decision:
    """The product of the message, else the one the thread was about; a question when unclear."""
    if ents.product.sku:
        return ents.product.sku
    if ents.product.skus:
        return Decision(tool=tool, text=which_product(ents.product.skus, lexicon))
    if ctx.sku:
        return ctx.sku
    return Decision(tool=tool, text=question)


def _warehouse(ents: Entities, ctx: ThreadContext, tool: str) -> str | None:
    if ents.all_warehouses:
        return None
    if ents.codes:
        return ents.codes[0]
    return ctx.args.get("warehouse") if ctx.tool == tool else None


def _optional(**values: object) -> dict[str, object]:
    return {k: v for k, v in values.items() if v is not None}


def get_stock(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    sku = _sku("get_stock", ents, ctx, lex, "¿De qué producto quieres saber el inventario?")
    if isinstance(sku, Decision):
        return sku
    # A new product asked about without a place means everywhere; "¿y el de Nariño?" keeps the place.
    keeps_place = not ents.product.skus or bool(utt.tokens and utt.tokens[0] in ("y", "tambien", "igual", "e"))
    warehouse = _warehouse(ents, ctx, "get_stock") if keeps_place or ents.codes else None
    return Decision("get_stock", _optional(sku=sku, warehouse=warehouse))


def list_low_stock(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    return Decision("list_low_stock", _optional(warehouse=_warehouse(ents, ctx, "list_low_stock")))


def get_stock_movements(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    sku = _sku("get_stock_movements", ents, ctx, lex, "¿De qué producto quieres ver los movimientos?")
    if isinstance(sku, Decision):
        return sku
    days = ents.days or (ctx.args.get("days") if ctx.tool == "get_stock_movements" else None)
    return Decision("get_stock_movements", _optional(sku=sku, days=days))


def _route(utt: Utterance, ents: Entities) -> tuple[str | None, str | None]:
    """(from, to) warehouses: "de Bogotá a Medellín", "a Medellín desde Bogotá", or mention order."""
    origin = dest = None
    unmarked = []
    for i, code in ents.warehouses:
        mark = utt.tokens[i - 1] if i > 0 else ""
        if mark in _FROM_MARKS and origin is None:
            origin = code
        elif mark in _TO_MARKS and dest is None:
            dest = code
        else:
            unmarked.append(code)
    for code in unmarked:
        if origin is None and code != dest:
            origin = code
        elif dest is None and code != origin:
            dest = code
    return origin, dest


def transfer_stock(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    sku = _sku("transfer_stock", ents, ctx, lex, "¿Qué producto quieres trasladar?")
    if isinstance(sku, Decision):
        return sku
    origin, dest = _route(utt, ents)
    if dest is None and ctx.warehouse and utt.has(*_THERE) and ctx.warehouse != origin:
        dest = ctx.warehouse  # "pasa 3 de Medellín para allá": the place the thread was about
    if ctx.tool == "transfer_stock":
        origin, dest = origin or ctx.args.get("from_warehouse"), dest or ctx.args.get("to_warehouse")
    quantity = ents.quantity or (ctx.args.get("quantity") if ctx.tool == "transfer_stock" else None)
    args = _optional(sku=sku, from_warehouse=origin, to_warehouse=dest, quantity=quantity)
    if quantity is None:
        return Decision("transfer_stock", args, "¿Cuántas unidades quieres trasladar?")
    if origin is None:
        return Decision("transfer_stock", args, "¿Desde qué bodega quieres trasladar las unidades?")
    if dest is None:
        return Decision("transfer_stock", args, "¿A qué bodega quieres trasladar las unidades?")
    return Decision("transfer_stock", args)


def _order(tool: str, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> str | Decision:
    # An order tool with a bare number of order size ("cancela el 1002", "¿y el 1004?") names the order.
    bare = f"{lex.order_prefix}{ents.quantity}" if ents.quantity and ents.quantity >= 100 else None
    order_id = ents.order_id or bare or ctx.order_id
    return order_id if order_id else Decision(tool=tool, text=_ORDER_QUESTION)


def get_order(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    if ents.order_id is None and ents.order_status:
        return list_orders(utt, ents, ctx, lex)
    order_id = _order("get_order", ents, ctx, lex)
    return order_id if isinstance(order_id, Decision) else Decision("get_order", {"order_id": order_id})


def track_shipment(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    order_id = _order("track_shipment", ents, ctx, lex)
    return order_id if isinstance(order_id, Decision) else Decision("track_shipment", {"order_id": order_id})


def cancel_order(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    order_id = _order("cancel_order", ents, ctx, lex)
    if isinstance(order_id, Decision):
        return order_id
    return Decision("cancel_order", {"order_id": order_id, "reason": cancel_reason(utt.text)})


def list_orders(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    return Decision("list_orders", _optional(status=ents.order_status))


def _order_lines(utt: Utterance, lex: Lexicon) -> list[tuple[tuple[str, ...], int]]:
    """Split "2 cafés de Nariño y 1 panela" into (candidates, quantity) per product."""
    segments: list[list[str]] = [[]]
    for tok in utt.tokens:
        if tok in ("y", "mas", "tambien") and segments[-1]:
            segments.append([])
        else:
            segments[-1].append(tok)
    lines = []
    for seg in segments:
        part = extract(Utterance(text=" ".join(seg), tokens=seg, money=set()), lex)
        if part.product.skus:
            lines.append((part.product.skus, part.quantity or 1))
    return lines


def create_order(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    lines = _order_lines(utt, lex)
    if not lines:
        sku = _sku("create_order", ents, ctx, lex, "¿Qué producto quieres pedir y cuántas unidades?")
        if isinstance(sku, Decision):
            return sku
        lines = [((sku,), ents.quantity or 1)]
    for skus, _ in lines:
        if len(skus) > 1:
            return Decision("create_order", text=which_product(skus, lex))
    merged: dict[str, int] = {}
    for skus, qty in lines:
        merged[skus[0]] = merged.get(skus[0], 0) + qty
    args: dict[str, object] = {"lines": [{"sku": s, "quantity": q} for s, q in merged.items()]}
    if ents.codes:
        args["warehouse"] = ents.codes[0]
    return Decision("create_order", args)


def sales_summary(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    return Decision("sales_summary", _optional(days=ents.days))


def top_products(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    return Decision("top_products", _optional(days=ents.days, limit=ents.limit))


def update_price(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    sku = _sku("update_price", ents, ctx, lex, "¿A qué producto le quieres cambiar el precio?")
    if isinstance(sku, Decision):
        return sku
    product = lex.product(sku)
    price = price_change(utt, ents, product.price_cop if product else 0)
    if price is None or price <= 0:
        name = product.name if product else sku
        return Decision("update_price", {"sku": sku}, f"¿Cuál es el nuevo precio de {name}?")
    return Decision("update_price", {"sku": sku, "price_cop": price})


def list_reorder_proposals(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    return Decision("list_reorder_proposals", _optional(status=ents.reorder_status))


def approve_reorder(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    # "apruebe la 1" right after the list: a bare number is the proposal's.
    bare = f"PO-{ents.quantity:04d}" if ents.quantity and ents.quantity < 10000 else None
    proposal = ents.proposal_id or bare or ctx.proposal_id
    if proposal is None:
        question = "¿Qué propuesta de reabastecimiento quieres aprobar (por ejemplo, PO-0001)?"
        return Decision("approve_reorder", text=question)
    return Decision("approve_reorder", {"proposal_id": proposal})


def search_knowledge(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    query = " ".join(utt.text.strip(" ¿?¡!.").split())
    return Decision("search_knowledge", {"query": query[:300]})


def escalate_to_human(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    summary = f"El usuario pide atención de una persona: «{' '.join(utt.text.split())[:240]}»"
    if ctx.order_id:
        summary += f" (pedido {ctx.order_id})"
    return Decision("escalate_to_human", {"summary": summary})


def search_products(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    query = product_query(utt, ents, lex)
    return Decision("search_products", _optional(query=query, max_price_cop=ents.max_price))


BUILDERS: dict[str, Builder] = {
    "get_stock": get_stock,
    "list_low_stock": list_low_stock,
    "get_stock_movements": get_stock_movements,
    "transfer_stock": transfer_stock,
    "get_order": get_order,
    "list_orders": list_orders,
    "track_shipment": track_shipment,
    "cancel_order": cancel_order,
    "create_order": create_order,
    "sales_summary": sales_summary,
    "top_products": top_products,
    "update_price": update_price,
    "list_reorder_proposals": list_reorder_proposals,
    "approve_reorder": approve_reorder,
    "search_knowledge": search_knowledge,
    "escalate_to_human": escalate_to_human,
    "search_products": search_products,
}
