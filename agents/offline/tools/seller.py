"""Seller tools as the offline model reads them: sales, rankings, prices and reorder proposals."""

from __future__ import annotations

from agents.offline.arguments import optional, product_or_question
from agents.offline.cues import near
from agents.offline.decision import Decision, ThreadContext
from agents.offline.extract import Entities
from agents.offline.keywords import phrase_at
from agents.offline.lexicon import PROPOSAL_DIGITS, Lexicon, proposal_id
from agents.offline.normalize import Utterance
from agents.offline.rules import CLEAR, DECISIVE, HINT, LEAN, OVERRIDE, Cue, Reading, ToolRule

_SALES_VERBS = ("vend", "compr", "sal", "pid", "rot")
_MORE = ("mas", "menos")
_NOT_VERBS = frozenset({"compras", "compra", "pedido", "pedidos", "saldo", "salida", "salidas"})
_AUXILIARIES = frozenset({"he", "has", "ha", "hemos", "han", "llevo", "llevamos", "lleva", "llevan", "tengo"})
_QUESTION_WORDS = frozenset({"cuanto", "cuanta", "cuantos", "cuantas"})
_UP_WORDS = ("sube", "subir", "subele", "aument", "increment")
_DOWN_WORDS = ("baja", "bajar", "bajale", "rebaj", "descuento", "disminu", "reduc")
_ABSOLUTE_MARKS = ("a", "quede", "cueste", "valga")  # "a $41.900", "que quede en…": the new price itself
_PRICE_ROUNDING = 100  # a price changed by a percentage is rounded to $100, as shelf prices are


# ----- sales_summary ------------------------------------------------------------------------------------
def _perfect_sales(r: Reading) -> bool:
    """ "llevamos vendido", "he vendido", "hemos facturado": how much has been sold so far."""
    toks = r.utt.tokens
    return any(tok.startswith(("vendid", "facturad")) and i > 0 and toks[i - 1] in _AUXILIARIES
               for i, tok in enumerate(toks))


def sales_summary(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    return Decision("sales_summary", optional(days=ents.days))


SALES_SUMMARY = ToolRule(
    tool="sales_summary",
    keywords=(
        ("ventas", 3), ("venta=", 2), ("vendi", 2), ("vendimos", 2.5), ("factur", 2.5), ("ingreso", 2.5),
        ("como me fue", 3), ("como nos fue", 3), ("ganancia", 2), ("gane=", 2), ("ganamos", 2), ("resumen", 1.5),
        ("reporte", 1), ("informe", 1), ("cuanto vendi", 1), ("recaud", 2), ("he vendido", 3),
        ("hemos vendido", 3), ("se vendio", 2.5), ("cuanta plata", 2.5), ("plata hice", 3), ("hice este", 1),
    ),
    cues=(Cue(_perfect_sales, DECISIVE),),
    priority=90,
    build=sales_summary,
)


# ----- top_products -------------------------------------------------------------------------------------
def _superlative(r: Reading) -> bool:
    """ "lo que más se vende", "se venden más", "cuál sale más": a sales verb next to "más"/"menos"."""
    utt = r.utt
    return any(tok.startswith(_SALES_VERBS) and len(tok) > 3 and tok not in _NOT_VERBS and near(utt, i, _MORE)
               for i, tok in enumerate(utt.tokens))


def top_products(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    return Decision("top_products", optional(days=ents.days, limit=ents.limit))


TOP_PRODUCTS = ToolRule(
    tool="top_products",
    keywords=(
        ("mas vendido", 4.5), ("top=", 3), ("mejor", 2), ("ranking", 3.5), ("estrella", 2), ("mas se vende", 4),
        ("mas salida", 3), ("populares", 3), ("mas exitoso", 3), ("mas piden", 3), ("mas se venden", 4),
        ("mas compran", 3.5), ("menos vendido", 3),
    ),
    cues=(Cue(_superlative, OVERRIDE),),
    priority=100,
    build=top_products,
)


# ----- update_price -------------------------------------------------------------------------------------
def _product_and_new_price(r: Reading) -> bool:
    return bool(r.ents.price or r.ents.percent) and bool(r.ents.product.skus)


def _price_stated_as_fact(r: Reading) -> bool:
    """ "la ruana ahora vale 199 lukas": a product and a price, not asked but said."""
    ents, utt = r.ents, r.utt
    return (bool(ents.price) and bool(ents.product.skus) and not ents.max_price
            and not set(utt.tokens) & _QUESTION_WORDS and "?" not in utt.text)


def price_change(utt: Utterance, ents: Entities, current: int) -> int | None:
    """New price from "súbele 10%", "bájale 5 mil" (relative) or "a $41.900" (absolute)."""
    up = any(phrase_at(utt, w) >= 0 for w in _UP_WORDS)
    down = any(phrase_at(utt, w) >= 0 for w in _DOWN_WORDS)
    sign = 1 if up else -1 if down else 0
    if ents.percent and sign and current:
        return int(round(current * (1 + sign * ents.percent / 100) / _PRICE_ROUNDING) * _PRICE_ROUNDING)
    if ents.price is None:
        return None
    before = utt.tokens[max(0, ents.price_index - 2) : ents.price_index]
    absolute = any(mark in before for mark in _ABSOLUTE_MARKS)
    if sign and current and not absolute and ents.price < current:
        return current + sign * ents.price
    return ents.price


def update_price(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    sku = product_or_question("update_price", ents, ctx, lex, "¿A qué producto le quieres cambiar el precio?")
    if isinstance(sku, Decision):
        return sku
    product = lex.product(sku)
    price = price_change(utt, ents, product.price_cop if product else 0)
    if price is None or price <= 0:
        name = product.name if product else sku
        return Decision("update_price", {"sku": sku}, f"¿Cuál es el nuevo precio de {name}?")
    return Decision("update_price", {"sku": sku, "price_cop": price})


UPDATE_PRICE = ToolRule(
    tool="update_price",
    keywords=(
        ("precio", 1), ("cambia", 1.5), ("cambiar", 1.5), ("ponle", 1.5), ("pon=", 1), ("poner", 1),
        ("sube", 1.5), ("subir", 1.5), ("subele", 2), ("baja=", 1.5), ("bajar", 1.5), ("bajale", 2),
        ("actualiz", 1.5), ("ajust", 1), ("modific", 1.5), ("rebaj", 2.5), ("descuento", 1.5), ("deja", 1),
        ("dejalo", 1.5), ("nuevo precio", 2), ("aument", 1.5), ("increment", 1.5), ("disminu", 1.5),
        ("reduc", 1.5), ("fija", 1), ("cobra", 1), ("que cueste", 2.5), ("que valga", 2.5),
    ),
    cues=(
        Cue(_product_and_new_price, CLEAR, scored_only=True),
        Cue(_price_stated_as_fact, CLEAR),
    ),
    priority=140,
    past_is_state=True,
    build=update_price,
)


# ----- list_reorder_proposals ---------------------------------------------------------------------------
def _names_proposal(r: Reading) -> bool:
    return bool(r.ents.proposal_id)


def _reorder_status(r: Reading) -> bool:
    """ "las propuestas aprobadas": a proposal state filters the list."""
    return bool(r.ents.reorder_status)


def list_reorder_proposals(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    return Decision("list_reorder_proposals", optional(status=ents.reorder_status))


LIST_REORDER_PROPOSALS = ToolRule(
    tool="list_reorder_proposals",
    keywords=(
        ("reabastec", 3.5), ("reorden", 3), ("propuesta", 3), ("orden de compra", 3.5), ("ordenes de compra", 3.5),
        ("sugerenc", 2), ("reponer", 1.5), ("resurt", 3), ("proveedor", 3), ("po=", 2), ("pos=", 2.5),
        ("compras sugeridas", 3),
        ("que debo pedir", 2.5), ("que tengo que pedir", 2.5), ("borrador", 2), ("reposicion", 3),
    ),
    cues=(
        Cue(_names_proposal, HINT),
        Cue(_reorder_status, LEAN, scored_only=True),
    ),
    priority=80,
    build=list_reorder_proposals,
)


# ----- approve_reorder ----------------------------------------------------------------------------------
def _named_proposal(ents: Entities, ctx: ThreadContext) -> str | None:
    """The proposal an approve/reject answer names: its id, a bare number that fits a proposal number
    ("apruebe la 1" right after the list), or the one the thread last talked about."""
    bare = ents.quantity if ents.quantity and ents.quantity < 10**PROPOSAL_DIGITS else None
    return ents.proposal_id or (proposal_id(bare) if bare else None) or ctx.proposal_id


def approve_reorder(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    proposal = _named_proposal(ents, ctx)
    if proposal is None:
        question = f"¿Qué propuesta de reabastecimiento quieres aprobar (por ejemplo, {proposal_id(1)})?"
        return Decision("approve_reorder", text=question)
    return Decision("approve_reorder", {"proposal_id": proposal})


APPROVE_REORDER = ToolRule(
    tool="approve_reorder",
    keywords=(
        ("aprueb", 3.5), ("aprobar", 3.5), ("autoriz", 3), ("acepta", 2), ("visto bueno", 3), ("luz verde", 3.5),
        ("confirma la propuesta", 3),
    ),
    cues=(Cue(_names_proposal, OVERRIDE, scored_only=True),),  # the verb acts on the id it names
    priority=160,
    past_is_state=True,
    build=approve_reorder,
)

# ----- explain_reorder_proposal -------------------------------------------------------------------------
_WHY = ("por que", "porque", "explica", "explicame", "explicar", "explicacion", "justific", "de donde sale",
        "como calcul", "razon", "a que se debe", "en que te basas", "en que se basa")
_PROPOSING = ("propon", "propus", "propuesta", "sugier", "sugeri", "reorden", "reabastec", "orden de compra",
              "comprar", "pedir", "repon", "unidades")


def _why_a_proposal(r: Reading) -> bool:
    """ "¿por qué me propones 96 unidades?", "explícame la propuesta de CAF-002": a why about a proposal."""
    utt = r.utt
    asks_why = any(phrase_at(utt, w) >= 0 for w in _WHY)
    about_proposal = bool(r.ents.proposal_id) or any(phrase_at(utt, w) >= 0 for w in _PROPOSING)
    return asks_why and (about_proposal or (r.ctx.tool or "").endswith("reorder_proposals"))


def explain_reorder_proposal(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    # A number of a proposal id is not a quantity; otherwise the quantity asked about picks the proposal.
    quantity = None if ents.proposal_id else ents.quantity
    return Decision("explain_reorder_proposal", optional(proposal_id=ents.proposal_id,
                                                         sku=ents.product.skus[0] if ents.product.skus else None,
                                                         quantity=quantity))


EXPLAIN_REORDER_PROPOSAL = ToolRule(
    tool="explain_reorder_proposal",
    keywords=(
        ("explica", 1.5), ("explicacion", 2), ("justific", 2), ("de donde sale", 1.5), ("como calcul", 2),
        ("por que me propones", 4), ("por que propones", 4), ("por que me sugieres", 4),
        ("porque me propones", 4), ("porque me sugieres", 4),  # "xq me propones…": WhatsApp spelling
    ),
    cues=(
        Cue(_why_a_proposal, OVERRIDE),
        Cue(_names_proposal, OVERRIDE, scored_only=True),  # "justifícame la PO-0002": the why is about that id
    ),
    priority=163,
    build=explain_reorder_proposal,
)


# ----- reject_reorder -----------------------------------------------------------------------------------
def reject_reorder(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    proposal = _named_proposal(ents, ctx)
    if proposal is None:
        question = f"¿Qué propuesta de reabastecimiento quieres rechazar (por ejemplo, {proposal_id(1)})?"
        return Decision("reject_reorder", text=question)
    return Decision("reject_reorder", {"proposal_id": proposal})


REJECT_REORDER = ToolRule(
    tool="reject_reorder",
    keywords=(
        ("rechaz", 3.5), ("no apruebo", 4.5), ("no apruebes", 4.5), ("no la apruebes", 4.5), ("descarta", 3),
        ("no la quiero", 2.5), ("no me interesa", 2), ("no compres", 3), ("no la compres", 3),
    ),
    cues=(Cue(_names_proposal, OVERRIDE, scored_only=True),),
    priority=167,
    past_is_state=True,
    build=reject_reorder,
)

RULES = (SALES_SUMMARY, TOP_PRODUCTS, UPDATE_PRICE, LIST_REORDER_PROPOSALS, APPROVE_REORDER,
         EXPLAIN_REORDER_PROPOSAL, REJECT_REORDER)
