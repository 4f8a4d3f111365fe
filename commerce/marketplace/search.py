"""Product search: full text fused with semantic similarity when a semantic index is injected.

Full text is SQLite FTS5 (embedded) or PostgreSQL full text, spanish + unaccent (production). Both
ignore accents and case ("cafe" finds "Café") and match word prefixes ("audif" finds "Audífonos").
The index itself is created by the migrations (FTS5 table with triggers on SQLite, a generated
tsvector column with a GIN index on PostgreSQL). The semantic side (commerce.marketplace.semantic)
finds what a buyer describes rather than names ("algo para el frío"); without it, search is full
text only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from sqlalchemy import select, text

from commerce.identity.principal import Principal, Scope
from commerce.marketplace.models import Product
from commerce.marketplace.schemas import ProductRead
from commerce.marketplace.semantic import SemanticProductIndex, reciprocal_rank_fusion, relevant
from commerce.shared.cache import CATALOG, NoCache, ReadCache
from commerce.shared.errors import InvalidInput
from commerce.shared.unit_of_work import UnitOfWork

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_RESULTS = 50
# How many nearest listings the semantic side proposes before the relevance cut.
SEMANTIC_CANDIDATES = 10
# Prices are 32-bit integers: a larger maximum means "no maximum" (and must not overflow the driver).
PRICE_CEILING_COP = 2**31 - 1
# Words that carry no meaning in a product query; dropped so "café de Nariño" still matches.
_STOP_WORDS = frozenset(
    {"a", "al", "con", "de", "del", "el", "en", "la", "las", "lo", "los", "para", "por", "un", "una", "unos",
     "unas", "y", "o", "me", "quiero", "busco", "hay", "tienen"}
)


class TextProductIndex(Protocol):
    """A word index of the catalog outside the database (Elasticsearch in production, infra/search_index.py)."""

    def rank(self, terms: Sequence[str], *, max_price_cop: int | None, limit: int) -> list[str] | None:
        """SKUs of active products matching every term (prefixes, accents ignored), best first; None when
        the index cannot answer (search then uses the database's full text)."""
        ...


def search_terms(query: str) -> list[str]:
    """Split a free-text query into safe search words (no FTS operators survive)."""
    words = [w.lower() for w in _WORD.findall(query or "")]
    return [w for w in words if w not in _STOP_WORDS][:12]


def search_products(
    *, uow: UnitOfWork, principal: Principal, query: str = "", max_price_cop: int | None = None,
    limit: int = 20, semantic: SemanticProductIndex | None = None, text_index: TextProductIndex | None = None,
) -> list[ProductRead]:
    """Active products matching every word of `query` (prefixes, accents ignored) or, with `semantic`, close
    to it in meaning, best first. `text_index` (when bootstrap injects one) finds the words instead of the
    database."""
    principal.require(Scope.CATALOG_READ)
    if max_price_cop is not None and max_price_cop <= 0:
        raise InvalidInput("El precio máximo debe ser mayor que cero.")
    if max_price_cop is not None:
        max_price_cop = min(max_price_cop, PRICE_CEILING_COP)
    limit = max(1, min(limit, MAX_RESULTS))
    terms = search_terms(query)
    if not terms:
        stmt = select(Product).where(Product.active.is_(True)).order_by(Product.name)
        if max_price_cop is not None:
            stmt = stmt.where(Product.price_cop <= max_price_cop)
        return [ProductRead.model_validate(p) for p in uow.session.scalars(stmt.limit(limit))]
    found_by_index = text_index.rank(terms, max_price_cop=max_price_cop, limit=limit) if text_index else None
    skus = found_by_index if found_by_index is not None else _ranked_skus(uow, terms, max_price_cop, limit)
    meaning = semantic_skus(semantic, query) if semantic is not None else []
    if meaning:
        skus = reciprocal_rank_fusion(skus, meaning)
    products = {p.sku: p for p in uow.session.scalars(select(Product).where(Product.sku.in_(skus)))}
    found = [products[s] for s in skus if s in products and _for_sale(products[s], max_price_cop)]
    return [ProductRead.model_validate(p) for p in found[:limit]]


def search_catalog(
    *, read: Callable[[], UnitOfWork], principal: Principal, query: str = "", max_price_cop: int | None = None,
    limit: int = 20, semantic: SemanticProductIndex | None = None, text_index: TextProductIndex | None = None,
    cache: ReadCache | None = None,
) -> list[ProductRead]:
    """`search_products` through the read cache (one entry per query, price ceiling and limit; any listing
    change invalidates them all): the database is read, in a unit of work from `read`, only on a miss."""
    principal.require(Scope.CATALOG_READ)

    def load() -> list[ProductRead]:
        with read() as uow:
            return search_products(uow=uow, principal=principal, query=query, max_price_cop=max_price_cop,
                                   limit=limit, semantic=semantic, text_index=text_index)

    return (cache or NoCache()).get_or_load(CATALOG, _search_key(query, max_price_cop, limit), list[ProductRead],
                                            load) or []


def peek_catalog(*, principal: Principal, query: str = "", max_price_cop: int | None = None, limit: int = 20,
                 cache: ReadCache) -> Any:
    """`search_catalog` when this process already holds the answer (no I/O at all), else `MISS`."""
    principal.require(Scope.CATALOG_READ)
    return cache.peek(CATALOG, _search_key(query, max_price_cop, limit))


def _search_key(query: str, max_price_cop: int | None, limit: int) -> str:
    key = json.dumps([" ".join(query.split()).lower(), max_price_cop, limit], ensure_ascii=False)
    return f"search:{key}"


def semantic_skus(semantic: SemanticProductIndex, query: str) -> list[str]:
    """The SKUs close enough in meaning to `query`, best first (none when there is no index)."""
    hits = semantic.rank(query.strip(), limit=SEMANTIC_CANDIDATES)
    return [h.sku for h in relevant(hits or [])]


def _for_sale(product: Product, max_price_cop: int | None) -> bool:
    return product.active and (max_price_cop is None or product.price_cop <= max_price_cop)


def _ranked_skus(uow: UnitOfWork, terms: list[str], max_price_cop: int | None, limit: int) -> list[str]:
    price_clause = "AND p.price_cop <= :max_price" if max_price_cop is not None else ""
    params: dict[str, object] = {"limit": limit, "max_price": max_price_cop}
    if uow.session.get_bind().dialect.name == "postgresql":
        params["q"] = " & ".join(f"{t}:*" for t in terms)
        sql = f"""
            SELECT p.sku FROM products p
            WHERE p.active AND p.search_vector @@ to_tsquery('spanish', mestocker_unaccent(:q)) {price_clause}
            ORDER BY ts_rank(p.search_vector, to_tsquery('spanish', mestocker_unaccent(:q))) DESC, p.name
            LIMIT :limit"""
    else:
        params["q"] = " AND ".join(f'"{t}"*' for t in terms)
        sql = f"""
            SELECT p.sku FROM products_fts f JOIN products p ON p.sku = f.sku
            WHERE products_fts MATCH :q AND p.active {price_clause}
            ORDER BY bm25(products_fts), p.name
            LIMIT :limit"""
    return [row[0] for row in uow.session.execute(text(sql), params)]
