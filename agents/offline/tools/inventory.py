"""Inventory tools as the offline model reads them: stock, low stock, movements and transfers."""

from __future__ import annotations

from agents.offline.arguments import optional, product_or_question, warehouse_of
from agents.offline.cues import names_product
from agents.offline.decision import Decision, ThreadContext
from agents.offline.extract import Entities
from agents.offline.keywords import phrase_at, spelled
from agents.offline.lexicon import Lexicon
from agents.offline.normalize import Utterance
from agents.offline.rules import CLEAR, HINT, LEAN, STRONG, Cue, Reading, ToolRule

# Verbs that move units somewhere, and words that make the same sentence a purchase ("mándame 2 a Bogotá").
MOVE_VERBS = ("pasa", "pasame", "pasar", "pasen", "manda", "mandar", "envia", "enviar", "lleva", "llevar",
              "mueve", "mover", "pon", "ponme")
BUY_WORDS = ("mandame", "enviame", "traeme", "quiero", "comprar", "compra", "pedir", "pide", "necesito", "pido")
_FROM_MARKS = frozenset({"de", "desde", "del"})
_TO_MARKS = frozenset({"a", "hacia", "para", "al", "pa"})
_THERE = ("alla", "alli", "ahi")
_CONTINUES = ("y", "tambien", "igual", "e")


# ----- get_stock ----------------------------------------------------------------------------------------
def _product_in_one_place(r: Reading) -> bool:
    """A product and a place, nothing else: "¿cargadores en Medellín?"."""
    return bool(r.ents.product.skus) and len(r.ents.codes) == 1


def _shortage_without_product(r: Reading) -> bool:
    """ "¿qué se está agotando?": shortage words and no product are the low-stock list, not one product's stock."""
    return not r.ents.product.skus and "list_low_stock" in r.keywords


def get_stock(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    sku = product_or_question("get_stock", ents, ctx, lex, "¿De qué producto quieres saber el inventario?")
    if isinstance(sku, Decision):
        return sku
    # A new product asked about without a place means everywhere; "¿y el de Nariño?" keeps the place.
    keeps_place = not ents.product.skus or bool(utt.tokens and utt.tokens[0] in _CONTINUES)
    warehouse = warehouse_of(ents, ctx, "get_stock") if keeps_place or ents.codes else None
    return Decision("get_stock", optional(sku=sku, warehouse=warehouse))


GET_STOCK = ToolRule(
    tool="get_stock",
    keywords=(
        ("stock", 2), ("inventari", 2), ("unidad", 1), ("dispon", 1.5), ("existenc", 2), ("hay=", 1),
        ("queda", 1.5), ("cuant", 0.5), ("tengo=", 0.5), ("tenemos=", 0.5), ("saldo", 1), ("bodega", 0.5),
        ("cuanto hay", 1), ("alcanza", 1),
    ),
    cues=(
        Cue(names_product, HINT, scored_only=True),
        Cue(_product_in_one_place, LEAN),
        Cue(_shortage_without_product, -LEAN, scored_only=True),
    ),
    priority=20,
    build=get_stock,
)


# ----- list_low_stock -----------------------------------------------------------------------------------
def list_low_stock(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    return Decision("list_low_stock", optional(warehouse=warehouse_of(ents, ctx, "list_low_stock")))


LIST_LOW_STOCK = ToolRule(
    tool="list_low_stock",
    keywords=(
        ("poco", 1.5), ("bajo=", 1.5), ("bajos=", 1.5), ("agot", 2.5), ("acab", 2), ("reponer", 1),
        ("minimo", 1), ("critic", 2), ("escas", 2.5), ("quedando sin", 2.5), ("faltando", 1.5), ("alerta", 1.5),
        ("surtir", 1), ("punto de reorden", 1.5), ("debajo", 1.5), ("en rojo", 2.5),
    ),
    cues=(
        Cue(names_product, -STRONG, scored_only=True),  # "¿queda poco café?" asks about that product's stock
        Cue(_shortage_without_product, CLEAR),
    ),
    priority=110,
    build=list_low_stock,
)


# ----- get_stock_movements ------------------------------------------------------------------------------
def get_stock_movements(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    sku = product_or_question("get_stock_movements", ents, ctx, lex, "¿De qué producto quieres ver los movimientos?")
    if isinstance(sku, Decision):
        return sku
    days = ents.days or (ctx.args.get("days") if ctx.tool == "get_stock_movements" else None)
    return Decision("get_stock_movements", optional(sku=sku, days=days))


GET_STOCK_MOVEMENTS = ToolRule(
    tool="get_stock_movements",
    keywords=(
        ("movimient", 3.5), ("entradas", 1.5), ("salidas", 1.5), ("kardex", 3.5), ("historial", 2),
        ("ajustes", 1.5), ("rotacion", 1.5), ("que paso con", 1.5), ("se movio", 2), ("ha salido", 1.5),
        ("trazab", 3.5), ("ha movido", 2.5), ("han movido", 2.5),
    ),
    cues=(Cue(names_product, HINT, scored_only=True),),
    priority=120,
    build=get_stock_movements,
)


# ----- transfer_stock -----------------------------------------------------------------------------------
def _two_places(r: Reading) -> bool:
    return len(r.ents.codes) >= 2


def _units_to_a_place(r: Reading) -> bool:
    """ "pasa 15 de esos a Medellín": units, one destination and a move verb that is not a purchase."""
    ents, utt = r.ents, r.utt
    return (len(ents.codes) == 1 and bool(ents.quantity) and spelled(utt, *MOVE_VERBS)
            and not spelled(utt, *BUY_WORDS))


def _aspectual_llevar(r: Reading) -> bool:
    """ "llevamos vendido": "llevar" + participle is a span of time, not carrying units."""
    toks = r.utt.tokens
    return any(tok.startswith("llev") and i + 1 < len(toks) and toks[i + 1].endswith(("ado", "ido", "ados", "idos"))
               for i, tok in enumerate(toks))


def _what_happens(r: Reading) -> bool:
    """ "¿qué pasa si…?": "pasa" asks what happens, it moves nothing."""
    return phrase_at(r.utt, "que pasa") >= 0


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
    sku = product_or_question("transfer_stock", ents, ctx, lex, "¿Qué producto quieres trasladar?")
    if isinstance(sku, Decision):
        return sku
    origin, dest = _route(utt, ents)
    if dest is None and ctx.warehouse and utt.has(*_THERE) and ctx.warehouse != origin:
        dest = ctx.warehouse  # "pasa 3 de Medellín para allá": the place the thread was about
    if ctx.tool == "transfer_stock":
        origin, dest = origin or ctx.args.get("from_warehouse"), dest or ctx.args.get("to_warehouse")
    quantity = ents.quantity or (ctx.args.get("quantity") if ctx.tool == "transfer_stock" else None)
    args = optional(sku=sku, from_warehouse=origin, to_warehouse=dest, quantity=quantity)
    if quantity is None:
        return Decision("transfer_stock", args, "¿Cuántas unidades quieres trasladar?")
    if origin is None:
        return Decision("transfer_stock", args, "¿Desde qué bodega quieres trasladar las unidades?")
    if dest is None:
        return Decision("transfer_stock", args, "¿A qué bodega quieres trasladar las unidades?")
    return Decision("transfer_stock", args)


TRANSFER_STOCK = ToolRule(
    tool="transfer_stock",
    keywords=(
        ("trasla", 3.5), ("traspas", 3.5), ("transfer", 3.5), ("mueve", 2.5), ("mover", 2.5), ("muevan", 2.5),
        ("muevas", 2.5), ("pasa=", 1.5), ("pasar=", 1.5), ("pasame=", 0.5), ("pasen=", 1.5), ("lleva", 1.5),
        ("reubic", 3), ("redistribu", 3), ("manda", 0.5),
    ),
    cues=(
        Cue(_two_places, CLEAR),
        Cue(_units_to_a_place, CLEAR),
        Cue(_aspectual_llevar, -CLEAR, scored_only=True),
        Cue(_what_happens, -CLEAR, scored_only=True),
    ),
    priority=150,
    build=transfer_stock,
)

RULES = (GET_STOCK, LIST_LOW_STOCK, GET_STOCK_MOVEMENTS, TRANSFER_STOCK)
