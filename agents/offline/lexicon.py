"""What the offline model knows about the world: the catalog and warehouses the caller passes in.

The model never hard-codes products or cities; it resolves the words of a message against a
`Lexicon` built from the database (`Lexicon.from_rows`). A caller may scope the lexicon to the
signed-in seller's products so "los audífonos" resolves to that seller's SKU.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from agents.offline.normalize import Utterance, parse, similar, stem
from commerce.shared.text import fold

# Function words and request words never name a product or a city.
STOP_WORDS = frozenset(
    [
        "a", "al", "algo", "algun", "alguna", "ante", "bajo", "con", "cual", "cuales", "cuanto", "cuanta", "cuantos",
        "cuantas", "de", "del", "desde", "donde", "el", "ella", "en", "entre", "es", "esa", "ese", "eso", "esta",
        "este", "esto", "estan", "hay", "la", "las", "le", "les", "lo", "los", "me", "mi", "mis", "muy", "no", "nos",
        "o", "para", "pero", "por", "que", "quiero", "se", "si", "sin", "su", "sus", "te", "tengo", "tenemos", "tienen",
        "tu", "un", "una", "unos", "unas", "y", "ya", "yo", "usted", "ustedes", "favor", "porfa", "hola", "gracias",
        "buenas", "buenos", "dias", "tardes", "noches", "ver", "dame", "dime", "necesito", "saber", "mostrar",
        "muestrame", "queda", "quedan", "unidades", "unidad", "stock", "inventario", "bodega", "bodegas", "producto",
        "productos", "pedido", "pedidos", "orden", "ordenes", "precio", "precios", "cuesta", "vale", "total", "todo",
        "todos", "todas", "otra", "otro", "mas", "menos", "hasta", "cada", "como", "cuando", "tambien", "ahora",
    ]
)
# Everyday synonyms (Colombian Spanish) → the word a catalog is likely to use.
SYNONYMS = {
    "auricular": "audifono", "cascos": "audifono", "casco": "audifono", "headphone": "audifono",
    "bocina": "parlante", "altavoz": "parlante", "bafle": "parlante", "speaker": "parlante",
    "bombilla": "bombillo", "foco": "bombillo", "bombillito": "bombillo",
    "poncho": "ruana", "bolso": "mochila", "morral": "mochila", "tinto": "cafe", "cafecito": "cafe",
    "capsula": "capsula", "cargadorcito": "cargador", "sombrerito": "sombrero",
}
# Colombian nicknames of cities, applied only to warehouses whose names already carry the city.
# ("la nevera" is Bogotá, "la arenosa" Barranquilla; a "rolo" is from Bogotá, a "paisa" from Antioquia.)
CITY_NICKNAMES = {
    "bogota": ("bta", "bogo", "nevera", "rola", "rolo", "capital", "cachaco"),
    "medellin": ("medallo", "mde", "paisa", "antioquia", "primavera"),
    "barranquilla": ("quilla", "curramba", "arenosa", "costena", "costeno", "baq"),
    "cali": ("sucursal", "calena"), "cartagena": ("ctg", "heroica"), "bucaramanga": ("bucara",),
}
_NICKNAMES = frozenset(n for nicks in CITY_NICKNAMES.values() for n in nicks)
_GENERIC_PLACE_WORDS = frozenset({"bodega", "zona", "franca", "centro", "norte", "sur", "calle", "carrera", "sede"})
_UNIT_WORDS = frozenset({"g", "kg", "gr", "ml", "l", "x", "w", "cm", "mm", "bt"})
# Product matching. The first word of a name is its head noun ("Café molido…"), so it weighs more; a category
# word only hints. A winner must lead the runner-up by 30%; otherwise every candidate within 60% of the top is
# offered, at most four, in one question.
HEAD_NOUN_WEIGHT = 1.5
CATEGORY_WEIGHT = 0.5
CLEAR_LEAD = 1.3
CANDIDATE_SHARE = 0.6
MAX_CANDIDATES = 4
# Match quality of a message word against a catalog word: a shared prefix ("cafes"/"cafe") beats a typo.
PREFIX_QUALITY = 0.9
TYPO_QUALITY = 0.8
# Purchase orders (reorder proposals) are numbered PO-0001, PO-0002… by commerce/fulfillment/handlers.py.
# Unlike order ids, none are passed in, so the lexicon knows their shape from here.
PROPOSAL_PREFIX = "PO-"
PROPOSAL_DIGITS = 4


def proposal_id(number: int) -> str:
    """The purchase-order id of a number: 4 → "PO-0004"."""
    return f"{PROPOSAL_PREFIX}{number:0{PROPOSAL_DIGITS}d}"


@dataclass(frozen=True)
class ProductEntry:
    sku: str
    name: str
    seller_id: str = ""
    category: str = ""
    price_cop: int = 0


@dataclass(frozen=True)
class WarehouseEntry:
    code: str
    city: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProductMatch:
    """Best catalog candidates for the words of a message (one = resolved, several = ambiguous)."""

    skus: tuple[str, ...] = ()
    tokens: frozenset[int] = frozenset()
    explicit: bool = False

    @property
    def sku(self) -> str | None:
        return self.skus[0] if len(self.skus) == 1 else None


@dataclass(frozen=True)
class Lexicon:
    products: tuple[ProductEntry, ...] = ()
    warehouses: tuple[WarehouseEntry, ...] = ()
    order_ids: tuple[str, ...] = ()

    @classmethod
    def from_rows(
        cls, products: Iterable[Any] = (), warehouses: Iterable[Any] = (), order_ids: Iterable[str] = ()
    ) -> Lexicon:
        """Build from dicts or ORM rows (attributes sku, name, seller_id, category, price_cop; code, city, name)."""
        prods = tuple(
            ProductEntry(
                sku=str(_get(p, "sku")), name=str(_get(p, "name")), seller_id=str(_get(p, "seller_id", "")),
                category=str(_get(p, "category", "")), price_cop=int(_get(p, "price_cop", 0) or 0),
            )
            for p in products
        )
        whs = tuple(_warehouse_entry(w) for w in warehouses)
        return cls(products=prods, warehouses=whs, order_ids=tuple(order_ids))

    # ----- products -------------------------------------------------------------------------------
    def product(self, sku: str) -> ProductEntry | None:
        return next((p for p in self.products if p.sku == sku), None)

    @cached_property
    def _sku_index(self) -> dict[tuple[str, int], str]:
        index: dict[tuple[str, int], str] = {}
        for p in self.products:
            letters, digits = _split_sku(fold(p.sku))
            if letters and digits:
                index[(letters, int(digits))] = p.sku
        return index

    @cached_property
    def _product_words(self) -> dict[str, list[tuple[str, float]]]:
        """word → [(sku, weight)]: rarer words and head nouns weigh more."""
        per_product = {p.sku: _name_words(p.name) for p in self.products}
        df: dict[str, int] = {}
        for words in per_product.values():
            for w in set(words):
                df[w] = df.get(w, 0) + 1
        n = max(len(self.products), 1)
        index: dict[str, list[tuple[str, float]]] = {}
        for sku, words in per_product.items():
            for pos, w in enumerate(dict.fromkeys(words)):
                weight = (1 + math.log(n / df[w])) * (HEAD_NOUN_WEIGHT if pos == 0 else 1.0)
                index.setdefault(w, []).append((sku, weight))
        for p in self.products:
            for w in _name_words(p.category):
                index.setdefault(w, []).append((p.sku, CATEGORY_WEIGHT))
        return index

    def match_products(self, utt: Utterance, skip: Iterable[int] = ()) -> ProductMatch:
        """Resolve explicit SKUs ("caf001", "CAF-001") or product names/partial names with typos."""
        explicit = self._explicit_skus(utt)
        if explicit:
            return ProductMatch(skus=tuple(dict.fromkeys(s for _, s in explicit)), explicit=True,
                                tokens=frozenset(i for i, _ in explicit) | {i + 1 for i, _ in explicit})
        scores: dict[str, float] = {}
        used: set[int] = set()
        skipped = set(skip)
        for i, tok in enumerate(utt.tokens):
            if i in skipped or tok in STOP_WORDS or len(tok) < 3 or tok[0].isdigit():
                continue
            hits = self._word_hits(tok)
            for word, quality in hits.items():
                for sku, weight in self._product_words[word]:
                    scores[sku] = scores.get(sku, 0.0) + quality * weight
            if hits:
                used.add(i)
        return ProductMatch(skus=_best(scores), tokens=frozenset(used))

    def _explicit_skus(self, utt: Utterance) -> list[tuple[int, str]]:
        found = []
        for i in range(len(utt.tokens) - 1):
            letters, digits = utt.tokens[i], utt.tokens[i + 1]
            if letters.isalpha() and digits.isdigit():
                sku = self._sku_index.get((letters, int(digits)))
                if sku:
                    found.append((i, sku))
        return found

    def _word_hits(self, tok: str) -> dict[str, float]:
        """Catalog words this token stands for, with a match quality in (0, 1]."""
        base = stem(tok)
        singular = tok[:-1] if tok.endswith("s") else tok  # "bafles" is "bafle" + s, not "bafl" + es
        base = SYNONYMS.get(base, SYNONYMS.get(tok, SYNONYMS.get(singular, base)))
        if len(base) > 6 and base[-3:] in ("ito", "ita", "ico", "ica"):
            base = base[:-3]  # diminutives: "parlantico", "mochilita"
        hits: dict[str, float] = {}
        for word in self._product_words:
            if base == word or tok == word:
                hits[word] = 1.0
            elif len(base) >= 4 and len(word) >= 4 and (word.startswith(base) or base.startswith(word)):
                hits[word] = PREFIX_QUALITY
            elif len(base) >= 5 and similar(base, word):
                hits[word] = TYPO_QUALITY
        return hits

    def sku_words(self, sku: str) -> list[str]:
        p = self.product(sku)
        return _name_words(p.name) if p else []

    # ----- warehouses -----------------------------------------------------------------------------
    @cached_property
    def _warehouse_aliases(self) -> dict[str, str]:
        owners: dict[str, set[str]] = {}
        for w in self.warehouses:
            words = {fold(w.code)}
            for text in (w.city, *w.aliases):
                words.update(t for t in parse(text).tokens if len(t) >= 4 and t not in _GENERIC_PLACE_WORDS)
            for city, nicks in CITY_NICKNAMES.items():
                if city in words:
                    words.update(nicks)
            for word in words:
                owners.setdefault(word, set()).add(w.code)
        # An alias shared by two warehouses (a department, say) names neither.
        return {word: codes.pop() for word, codes in owners.items() if len(codes) == 1}

    def match_warehouses(self, utt: Utterance) -> list[tuple[int, str]]:
        """(token index, warehouse code) for every city, alias or code mentioned, in order."""
        found: list[tuple[int, str]] = []
        aliases = self._warehouse_aliases
        for i, tok in enumerate(utt.tokens):
            if tok in STOP_WORDS or tok[0].isdigit():
                continue
            code = aliases.get(tok)
            # Typos and abbreviations of names ("medelin", "bgta"), never of nicknames ("pasa" is not "paisa").
            spelled = [(alias, c) for alias, c in aliases.items() if len(alias) >= 4 and alias not in _NICKNAMES]
            if code is None and len(tok) >= 4:
                code = next((c for alias, c in spelled if similar(tok, alias)), None)
            if code is None and len(tok) >= 4:
                code = next((c for alias, c in spelled if _abbreviates(tok, alias)), None)
            if code:
                found.append((i, code))
        return found

    def warehouse_label(self, code: str) -> str:
        """ "Bodega Medellín - Itagüí (MED)": the warehouse name when known, else its city."""
        w = next((w for w in self.warehouses if w.code == code), None)
        if w is None:
            return code
        return f"{w.aliases[0] if w.aliases else _short_city(w.city)} ({code})"

    # ----- orders ---------------------------------------------------------------------------------
    @cached_property
    def order_prefix(self) -> str:
        sample = next(iter(self.order_ids), "ORD-1")
        letters, _ = _split_sku(sample)
        return (letters.upper() or "ORD") + "-"


def _get(row: Any, key: str, default: Any = None) -> Any:
    if isinstance(row, Mapping):
        return row.get(key, default)
    return getattr(row, key, default)


def _warehouse_entry(row: Any) -> WarehouseEntry:
    extra = [str(v) for v in (_get(row, "name"), _get(row, "department")) if v]
    extra.extend(str(a) for a in (_get(row, "aliases") or ()))
    return WarehouseEntry(code=str(_get(row, "code")), city=str(_get(row, "city", "")), aliases=tuple(extra))


def _split_sku(text: str) -> tuple[str, str]:
    letters = "".join(ch for ch in text if ch.isalpha())
    digits = "".join(ch for ch in text if ch.isdigit())
    return letters, digits


def _name_words(name: str) -> list[str]:
    words = []
    for tok in parse(name).tokens:
        if tok in STOP_WORDS or tok in _UNIT_WORDS or tok[0].isdigit() or len(tok) < 3:
            continue
        words.append(stem(tok))
    return words


def _best(scores: dict[str, float]) -> tuple[str, ...]:
    """The winner when it clearly leads; otherwise every candidate close to the top (ambiguous)."""
    if not scores:
        return ()
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    top = ranked[0][1]
    if len(ranked) == 1 or ranked[1][1] * CLEAR_LEAD <= top:
        return (ranked[0][0],)
    return tuple(sku for sku, score in ranked if score >= top * CANDIDATE_SHARE)[:MAX_CANDIDATES]


def _abbreviates(tok: str, alias: str) -> bool:
    """ "bgta" for "bogota", "mdllin" for "medellin", "bquilla" for "barranquilla": same first letter, the
    letters in order, at least two of them left out, and mostly consonants kept."""
    if len(alias) < 6 or tok[0] != alias[0] or len(tok) > len(alias) - 2:
        return False
    rest = iter(alias)
    if not all(ch in rest for ch in tok):
        return False
    return sum(ch in "aeiou" for ch in tok) <= len(tok) // 2


def _short_city(city: str) -> str:
    return city.replace(" D.C.", "").strip()
