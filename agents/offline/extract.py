"""Tool arguments from a Spanish message: products, warehouses, orders, quantities, money, periods."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agents.offline.keywords import keyword_words, phrase_at
from agents.offline.lexicon import STOP_WORDS, Lexicon, ProductMatch, proposal_id
from agents.offline.normalize import Utterance, stem
from commerce.shared.text import fold

# What a bare number means depends on its size:
MIN_ORDER_NUMBER = 100  # order numbers have three digits or more ("pedido 1001"); smaller ones are quantities
# After an article alone ("¿y el 1002?", "estado de la 1004") only an order-sized number of four digits is an
# order: "el 500" is more often units or money.
MIN_BARE_ORDER_NUMBER = 1000
MIN_PRICE_COP = 1000  # nothing in the catalog costs less than $1.000: a smaller number is a quantity
MAX_LIMIT = 50  # "top 3", "los 10 más vendidos": a ranking asks for a handful; more is a quantity or money
MAX_QUANTITY = 1_000_000  # from a million up a number is money or an id, never units
_ORDER_WORDS = frozenset({"pedido", "orden", "ord", "compra", "pedidos", "ordenes", "factura", "envio", "guia"})
_PROPOSAL_WORDS = frozenset({"po", "propuesta", "propuestas", "borrador", "sugerencia", "reorden", "reposicion",
                             "reabastecimiento"})
_ARTICLES = frozenset({"el", "la", "del"})
_NUMBER_FILLER = frozenset({"numero", "nro", "no", "n", "num", "el", "la", "de", "del", "mi", "#"})
_UNIT_WORDS = frozenset(
    [
        "unidades", "unidad", "uds", "ud", "u", "cajas", "caja", "paquetes", "paquete", "bolsas", "bolsa", "piezas",
        "pieza", "und", "unds", "kilos", "libras",
    ]
)
_PERIOD_WORDS = {"dia": 1, "dias": 1, "semana": 7, "semanas": 7, "mes": 30, "meses": 30, "ano": 365, "anos": 365}
_PERIOD_ALONE = {"semana": 7, "quincena": 15, "mes": 30, "trimestre": 90, "semestre": 180, "hoy": 1, "ayer": 2}
_MAX_PRICE_CUES = ("menos de", "hasta", "maximo", "por debajo de", "no mas de", "que no pase de", "tope",
                   "presupuesto", "inferior a", "menor a", "menor de", "barato")
_ALL_WAREHOUSES = ("todas las bodegas", "en total", "en general", "todas las ciudades", "en todas", "total")
_REASON = re.compile(r"\b(?:porque|por que|ya que|pues|motivo:?|raz[oó]n:?|debido a)\s+(.+)", re.IGNORECASE)
_MONEY_WORDS = frozenset({"pesos", "peso", "cop", "plata", "mil", "millones", "barato", "baratos", "economico"})
_PERCENT = re.compile(r"(\d+(?:[.,]\d+)?)\s*(?:%|por\s*ciento)")

# Spanish words for the order states of commerce/marketplace/order_state.py.
ORDER_STATUS_WORDS = {
    "pendiente": "pending_payment", "pagar": "pending_payment", "pago": "pending_payment",
    "pagado": "paid", "pagada": "paid", "enviado": "shipped", "enviada": "shipped", "despachado": "shipped",
    "despachada": "shipped", "camino": "shipped", "transito": "shipped", "entregado": "delivered",
    "entregada": "delivered", "recibido": "delivered", "llegaron": "delivered", "llegado": "delivered",
    "cancelado": "cancelled", "cancelada": "cancelled",
    "anulado": "cancelled", "anulada": "cancelled", "reembolsado": "refunded", "reembolsada": "refunded",
    "devuelto": "returned", "devuelta": "returned", "alistamiento": "picking", "alistando": "picking",
    "preparacion": "picking", "preparando": "picking", "creado": "created", "creada": "created",
    "nuevo": "created", "reservado": "stock_reserved", "reservada": "stock_reserved",
}
_BEING = frozenset({"esta", "estan", "ya", "quedo", "quedaron", "salio", "salieron"})
REORDER_STATUS_WORDS = {
    "aprobada": "approved", "aprobado": "approved", "enviada": "sent", "enviado": "sent", "recibida": "received",
    "recibido": "received", "cancelada": "cancelled", "cancelado": "cancelled", "pendiente": "proposed",
    "borrador": "proposed", "nueva": "proposed",
}


@dataclass
class Entities:
    product: ProductMatch = field(default_factory=ProductMatch)
    warehouses: list[tuple[int, str]] = field(default_factory=list)
    order_id: str | None = None
    proposal_id: str | None = None
    quantity: int | None = None
    price: int | None = None
    price_index: int = -1
    max_price: int | None = None
    days: int | None = None
    limit: int | None = None
    order_status: str | None = None
    reorder_status: str | None = None
    all_warehouses: bool = False
    percent: float | None = None

    @property
    def codes(self) -> list[str]:
        return list(dict.fromkeys(code for _, code in self.warehouses))


def extract(utt: Utterance, lexicon: Lexicon) -> Entities:
    """Every argument the message states, resolved against the lexicon."""
    ents = Entities()
    used: set[int] = set()
    ents.warehouses = lexicon.match_warehouses(utt)
    used.update(i for i, _ in ents.warehouses)
    ents.proposal_id = _proposal_id(utt, used)
    ents.order_id = _order_id(utt, lexicon, used)
    ents.product = lexicon.match_products(utt, skip=used)
    used.update(ents.product.tokens)
    ents.days = _days(utt, used)
    ents.limit = _limit(utt, used)
    ents.max_price = _max_price(utt, used)
    before = set(used)
    ents.price = _price(utt, used)
    ents.price_index = min(used - before, default=-1)
    ents.quantity = _quantity(utt, lexicon, ents.product, used)
    ents.order_status = _status(utt, ORDER_STATUS_WORDS)
    ents.reorder_status = _status(utt, REORDER_STATUS_WORDS)
    ents.all_warehouses = any(phrase_at(utt, p) >= 0 for p in _ALL_WAREHOUSES)
    match = _PERCENT.search(fold(utt.text))
    ents.percent = float(match.group(1).replace(",", ".")) if match else None
    return ents


def _int_at(utt: Utterance, i: int) -> int | None:
    value = utt.number(i)
    return int(value) if value is not None and float(value).is_integer() else None


def _after_words(utt: Utterance, i: int, words: frozenset[str], reach: int = 3) -> bool:
    """True when one of `words` comes right before token i, allowing "número"/"el" in between."""
    j = i - 1
    while j >= 0 and i - j <= reach:
        if utt.tokens[j] in words:
            return True
        if utt.tokens[j] not in _NUMBER_FILLER:
            return False
        j -= 1
    return False


def _order_id(utt: Utterance, lexicon: Lexicon, used: set[int]) -> str | None:
    known = set(lexicon.order_ids)
    for i in range(len(utt.tokens)):
        n = _int_at(utt, i)
        if n is None or i in used or n < MIN_ORDER_NUMBER:
            continue
        order_id = f"{lexicon.order_prefix}{n}"
        explicit = _after_words(utt, i, _ORDER_WORDS) and not _after_words(utt, i, frozenset({"compra"}), 1)
        # "¿y el 1002?", "estado de la 1004": an order-sized number after an article, not money nor units.
        named = (n >= MIN_BARE_ORDER_NUMBER and i > 0 and utt.tokens[i - 1] in _ARTICLES and i not in utt.money
                 and not set(utt.tokens[i + 1 : i + 2]) & _UNIT_WORDS)
        if explicit or named or order_id in known or (i > 0 and utt.tokens[i - 1] == "ord"):
            used.add(i)
            return order_id
    return None


def _proposal_id(utt: Utterance, used: set[int]) -> str | None:
    for i in range(len(utt.tokens)):
        n = _int_at(utt, i)
        if n is None:
            continue
        j = i
        while j > 0 and utt.tokens[j - 1] in _NUMBER_FILLER:
            j -= 1
        after_po_phrase = j >= 3 and utt.tokens[j - 3 : j] == ["orden", "de", "compra"]
        if after_po_phrase or _after_words(utt, i, _PROPOSAL_WORDS):
            used.add(i)
            return proposal_id(n)
    return None


def _days(utt: Utterance, used: set[int]) -> int | None:
    toks = utt.tokens
    for i, tok in enumerate(toks):
        if tok in _PERIOD_WORDS and i > 0 and _int_at(utt, i - 1):
            used.add(i - 1)
            return (_int_at(utt, i - 1) or 1) * _PERIOD_WORDS[tok]
    for tok in toks:
        if tok in _PERIOD_ALONE:
            return _PERIOD_ALONE[tok]
    if "ano" in toks and any(w in toks for w in ("este", "ultimo", "del", "el")):
        return 365
    return None


def _limit(utt: Utterance, used: set[int]) -> int | None:
    toks = utt.tokens
    for i in range(len(toks)):
        n = _int_at(utt, i)
        if n is None or i in used or i in utt.money or not 0 < n <= MAX_LIMIT:
            continue
        before_top = i > 0 and toks[i - 1] in ("top", "primeros", "mejores")
        after = toks[i + 1 : i + 3]
        if before_top or any(w in after for w in ("mas", "mejores", "productos", "referencias", "primeros")):
            used.add(i)
            return n
    return None


def _max_price(utt: Utterance, used: set[int]) -> int | None:
    for cue in _MAX_PRICE_CUES:
        start = phrase_at(utt, cue)
        if start < 0:
            continue
        for i in range(start + len(cue.split()), min(start + len(cue.split()) + 3, len(utt.tokens))):
            n = _int_at(utt, i)
            if n is not None and i not in used and n >= MIN_PRICE_COP:
                used.add(i)
                return n
    return None


def _price(utt: Utterance, used: set[int]) -> int | None:
    money = [i for i in sorted(utt.money) if i not in used]
    if money:
        used.add(money[0])
        return _int_at(utt, money[0])
    # "ponle 45000 al café": a large bare number next to a price word is money too.
    for i in range(len(utt.tokens)):
        n = _int_at(utt, i)
        if n is not None and i not in used and n >= MIN_PRICE_COP and utt.tokens[i - 1 : i] != ["ord"]:
            near = utt.tokens[max(0, i - 3) : i]
            if any(w in near for w in ("precio", "a", "en", "por", "vale", "cueste", "valga", "cobra")):
                used.add(i)
                return n
    return None


def _quantity(utt: Utterance, lexicon: Lexicon, product: ProductMatch, used: set[int]) -> int | None:
    candidates = []
    for i in range(len(utt.tokens)):
        n = _int_at(utt, i)
        if n is None or i in used or not 0 < n < MAX_QUANTITY:
            continue
        if i in utt.money and not (set(utt.tokens[i + 1 : i + 3]) & _UNIT_WORDS):
            continue
        if i > 0 and utt.tokens[i - 1].isalpha() and lexicon.match_products(
            Utterance(text="", tokens=utt.tokens[i - 1 : i + 1])
        ).explicit:
            continue  # the digits of an explicit SKU ("caf 1")
        follows = utt.tokens[i + 1 : i + 3]
        if follows[:1] and follows[0] in _UNIT_WORDS:
            score = 2
        else:
            score = 1 if any(i < j <= i + 3 for j in product.tokens) else 0
        candidates.append((score, -i, n, i))
    if not candidates:
        return None
    best = max(candidates)
    used.add(best[3])
    return best[2]


def _status(utt: Utterance, words: dict[str, str]) -> str | None:
    for i, tok in enumerate(utt.tokens):
        if words is ORDER_STATUS_WORDS and tok in ("pago", "pagos", "paga", "pagas") and i > 0 \
                and utt.tokens[i - 1] in _BEING:
            return "paid"  # "ya está pago", "pedidos que están pagos": paid, not "pendiente de pago"
        base = stem(tok)
        for form in (tok, base, base[:-1] + "o" if base.endswith("a") else base):
            if form in words:
                return words[form]
    return None


def reason(text: str) -> str | None:
    """The reason the user gave ("… porque llegó tarde")."""
    match = _REASON.search(text)
    return match.group(1).strip(" .¿?¡!") if match else None


def search_query(utt: Utterance, lexicon: Lexicon, ents: Entities, skip: set[int]) -> str:
    """The product words of a shopping question, spelled as the catalog spells them."""
    words: list[str] = []
    for i in sorted(ents.product.tokens):
        hits = lexicon._word_hits(utt.tokens[i])
        if hits:
            words.append(max(hits.items(), key=lambda kv: (kv[1], -len(kv[0])))[0])
    if ents.product.explicit and ents.product.sku:
        return " ".join(lexicon.sku_words(ents.product.sku)[:2])
    if words:
        return " ".join(dict.fromkeys(words))
    keywords = set(keyword_words())
    rest = [
        tok for i, tok in enumerate(utt.tokens)
        if i not in skip and tok not in STOP_WORDS and tok not in _MONEY_WORDS and not tok[0].isdigit() and len(tok) > 2
        and not any(tok.startswith(k.rstrip("=")) for k in keywords if len(k.rstrip("=")) >= 4)
        and tok.rstrip("=") not in keywords
    ]
    return " ".join(rest[:4])
