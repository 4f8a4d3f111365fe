"""Structural cues: what the shape of a message says about the request, beyond its keywords.

Keywords say what a message is about; these cues weigh how it is said: an id next to a verb, units and
two places, a superlative next to a sales verb, a perfect tense ("llevamos vendido"), a negated wish
about an order ("ya no lo necesito"), a hypothetical ("si pido hoy…"), a price stated as a fact.
"""

from __future__ import annotations

from collections.abc import Callable

from agents.offline.decision import ThreadContext
from agents.offline.extract import Entities
from agents.offline.intents import keyword_scores, phrase_at, spelled
from agents.offline.normalize import Utterance

# Verbs that move units somewhere, and words that make the same sentence a purchase ("mándame 2 a Bogotá").
MOVE_VERBS = ("pasa", "pasame", "pasar", "pasen", "manda", "mandar", "envia", "enviar", "lleva", "llevar",
              "mueve", "mover", "pon", "ponme")
BUY_WORDS = ("mandame", "enviame", "traeme", "quiero", "comprar", "compra", "pedir", "pide", "necesito", "pido")
_SALES_VERBS = ("vend", "compr", "sal", "pid", "rot")
_MORE = ("mas", "menos")
_AUXILIARIES = frozenset({"he", "has", "ha", "hemos", "han", "llevo", "llevamos", "lleva", "llevan", "tengo"})
_WISH = frozenset({"quiero", "necesito", "interesa", "deseo", "sirve"})
_HYPOTHETICAL = ("si pido", "si compro", "si hago", "si no pago", "si devuelvo", "si quiero")
_ORDER_NOUNS = frozenset({"pedido", "pedidos", "orden", "ordenes", "paquete", "compra", "envio", "domicilio"})
_PLURAL_ORDER_NOUNS = frozenset({"pedidos", "ordenes", "compras"})
_NOT_VERBS = frozenset({"compras", "compra", "pedido", "pedidos", "saldo", "salida", "salidas"})
_QUESTION_WORDS = frozenset({"cuanto", "cuanta", "cuantos", "cuantas"})


def scores(utt: Utterance, ents: Entities, ctx: ThreadContext) -> dict[str, float]:
    """Keyword scores per tool, adjusted by the structure of the message and what it states."""
    s = keyword_scores(utt)

    def bump(tool: str, by: float, only_if_present: bool = False) -> None:
        if not only_if_present or tool in s:
            s[tool] = s.get(tool, 0.0) + by

    _entity_cues(utt, ents, bump, s)
    if _superlative(utt):
        bump("top_products", 3.5)
    if _perfect_sales(utt):
        bump("sales_summary", 3)
    if _aspectual_llevar(utt):
        bump("transfer_stock", -1.5, only_if_present=True)
    if ents.order_id and _negated_wish(utt):
        bump("cancel_order", 3)
    if any(phrase_at(utt, p) >= 0 for p in _HYPOTHETICAL):
        bump("search_knowledge", 2)
        bump("create_order", -2, only_if_present=True)
    if phrase_at(utt, "que pasa") >= 0:
        bump("transfer_stock", -1.5, only_if_present=True)
    if not ents.order_id and not ctx.order_id and not (set(utt.tokens) & _ORDER_NOUNS):
        bump("track_shipment", -1.5, only_if_present=True)  # "¿cuánto se demora en llegar?" names no order
    if not ents.product.skus and not ents.max_price and "search_knowledge" in s:
        bump("search_products", -1.5, only_if_present=True)  # "¿cuánto cuesta el envío?" prices a service
    if not ents.order_id and not ents.product.skus and set(utt.tokens) & _PLURAL_ORDER_NOUNS:
        bump("list_orders", 1.5)
    return s


def _entity_cues(utt: Utterance, ents: Entities, bump: Callable[..., None], s: dict[str, float]) -> None:
    if ents.order_id:
        bump("get_order", 2)
        for tool in ("track_shipment", "cancel_order"):
            bump(tool, 1.5, only_if_present=True)
        bump("list_orders", -2)
        bump("create_order", -1.5, only_if_present=True)
    if ents.proposal_id:
        bump("approve_reorder", 3.5, only_if_present=True)  # the verb acts on the id it names
        bump("list_reorder_proposals", 0.5)
    if len(ents.codes) >= 2:
        bump("transfer_stock", 1.5)
    elif ents.quantity and ents.codes and spelled(utt, *MOVE_VERBS) and not spelled(utt, *BUY_WORDS):
        bump("transfer_stock", 1.5)  # "pasa 15 de esos a Medellín": units and a destination
    if ents.product.skus:
        bump("get_stock", 0.5, only_if_present=True)
        if ents.codes and len(ents.codes) == 1:
            bump("get_stock", 1)  # a product and a place, nothing else: "¿cargadores en Medellín?"
        bump("list_low_stock", -2, only_if_present=True)
        bump("create_order", 1 if ents.quantity else 0.5, only_if_present=True)
        bump("get_stock_movements", 0.5, only_if_present=True)
    elif "list_low_stock" in s:
        bump("list_low_stock", 1.5)
        bump("get_stock", -1, only_if_present=True)
    if ents.max_price:
        bump("search_products", 2)
    if (ents.price or ents.percent) and ents.product.skus:
        bump("update_price", 1.5, only_if_present=True)
        if ents.price and not ents.max_price and not set(utt.tokens) & _QUESTION_WORDS and "?" not in utt.text:
            bump("update_price", 1.5)  # "la ruana ahora vale 199 lukas": a price stated as a fact
    if ents.order_status and utt.has("pedidos", "ordenes", "compras", "mis"):
        bump("list_orders", 1.5)
    if ents.reorder_status:
        bump("list_reorder_proposals", 1, only_if_present=True)
    if phrase_at(utt, "quiero saber") >= 0 or phrase_at(utt, "quiero ver") >= 0:
        bump("create_order", -1.5, only_if_present=True)


def _near(utt: Utterance, i: int, words: tuple[str, ...], reach: int = 2) -> bool:
    window = utt.tokens[max(0, i - reach) : i] + utt.tokens[i + 1 : i + 1 + reach]
    return any(w in words for w in window)


def _superlative(utt: Utterance) -> bool:
    """ "lo que más se vende", "se venden más", "cuál sale más": a sales verb next to "más"/"menos"."""
    return any(tok.startswith(_SALES_VERBS) and len(tok) > 3 and tok not in _NOT_VERBS and _near(utt, i, _MORE)
               for i, tok in enumerate(utt.tokens))


def _perfect_sales(utt: Utterance) -> bool:
    """ "llevamos vendido", "he vendido", "hemos facturado": how much has been sold so far."""
    toks = utt.tokens
    return any(tok.startswith(("vendid", "facturad")) and i > 0 and toks[i - 1] in _AUXILIARIES
               for i, tok in enumerate(toks))


def _aspectual_llevar(utt: Utterance) -> bool:
    """ "llevamos vendido": "llevar" + participle is a span of time, not carrying units."""
    toks = utt.tokens
    return any(tok.startswith("llev") and i + 1 < len(toks) and toks[i + 1].endswith(("ado", "ido", "ados", "idos"))
               for i, tok in enumerate(toks))


def _negated_wish(utt: Utterance) -> bool:
    """ "ya no lo necesito", "no me interesa": a wish withdrawn."""
    toks = utt.tokens
    return any(tok == "no" and set(toks[i + 1 : i + 4]) & _WISH for i, tok in enumerate(toks))
