"""Semantic product search: the port a vector index implements, and the rule that fuses it with full text.

commerce knows nothing of embeddings or Chroma: bootstrap injects an adapter (infra/product_index.py)
that ranks products by meaning. Full text is exact about words ("audífonos"); meaning finds what a
buyer describes ("algo para el frío" → the ruana). Reciprocal rank fusion combines the two rankings
without comparing their scores, which live on different scales.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from commerce.marketplace.models import Product
from commerce.shared import events
from commerce.shared.unit_of_work import UnitOfWork

# The constant of Cormack et al. (2009): large enough that one list's first place does not drown the other.
RRF_K = 60
# A semantic neighbour counts only when it is about as close as the best one and not far in absolute
# terms: e5's cosine similarities bunch up (unrelated Spanish texts still score ~0.75), so every query
# would otherwise "find" the whole catalog. Chosen on the product-query set (docs/knowledge.md).
MIN_SIMILARITY = 0.78
MAX_GAP_FROM_BEST = 0.04


@dataclass(frozen=True)
class Listing:
    """The public text of a product that the index embeds (what a buyer reads: no cost, no stock)."""

    sku: str
    seller_id: str
    name: str
    category: str
    description: str

    @classmethod
    def of(cls, product: Product) -> Listing:
        return cls(sku=product.sku, seller_id=product.seller_id, name=product.name, category=product.category,
                   description=product.description)

    @property
    def text(self) -> str:
        """What "similar to this product" searches for."""
        return ". ".join(part for part in (self.name, self.category, self.description) if part)


@dataclass(frozen=True)
class SemanticHit:
    sku: str
    similarity: float  # cosine similarity, higher is closer


class SemanticProductIndex(Protocol):
    """A vector index of the catalog's listings."""

    def rank(self, text: str, *, limit: int, exclude: Sequence[str] = ()) -> list[SemanticHit] | None:
        """Products closest in meaning to `text`, best first; None when there is no index to ask."""
        ...

    def upsert(self, listings: Sequence[Listing]) -> None:
        """Index new or changed listings."""
        ...

    def remove(self, skus: Sequence[str]) -> None:
        """Forget products that are no longer for sale."""
        ...


def relevant(hits: Sequence[SemanticHit], *, floor: float = MIN_SIMILARITY,
             gap: float = MAX_GAP_FROM_BEST) -> list[SemanticHit]:
    """The hits close enough to count: above `floor` and within `gap` of the best one."""
    if not hits:
        return []
    cut = max(floor, max(h.similarity for h in hits) - gap)
    return [h for h in hits if h.similarity >= cut]


def reciprocal_rank_fusion(*rankings: Sequence[str], k: int = RRF_K) -> list[str]:
    """One ranking from several: each item scores Σ 1/(k + rank); ties keep the earlier lists' order."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for position, item in enumerate(dict.fromkeys(ranking), start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + position)
    first_seen = {item: n for n, item in enumerate(dict.fromkeys(i for r in rankings for i in r))}
    return sorted(scores, key=lambda item: (-scores[item], first_seen[item]))


def reindex_product(event: events.ProductUpdated, uow: UnitOfWork, *, index: SemanticProductIndex) -> None:
    """Consumer of `product.updated`: re-read the listing and index it again (or drop it if withdrawn)."""
    product = uow.session.get(Product, event.sku)
    if product is None or not product.active:
        index.remove([event.sku])
        return
    index.upsert([Listing.of(product)])


INDEXED_EVENTS = frozenset({events.ProductUpdated.name})
