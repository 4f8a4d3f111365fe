"""The product catalog as a second Chroma collection, for semantic product search and "similar items".

Ids are SKUs; a fingerprint of the indexed text tells which products changed, so a `product.updated`
re-indexes one product and a full sync deletes products that are gone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from chromadb.api.models.Collection import Collection

from knowledge.store import Progress, Record, SyncReport, sync


@dataclass(frozen=True)
class CatalogItem:
    """The public face of a product: what a buyer reads in its listing (no costs, no stock)."""

    sku: str
    name: str
    category: str
    description: str = ""
    seller_id: str = ""

    @property
    def document(self) -> str:
        parts = [self.name, f"Categoría: {self.category}", self.description]
        return ". ".join(p.strip().rstrip(".") for p in parts if p.strip()) + "."


@dataclass(frozen=True)
class ProductMatch:
    sku: str
    name: str
    category: str
    seller_id: str
    similarity: float


def _record(item: CatalogItem) -> Record:
    metadata: dict[str, str | int | float | bool] = {"sku": item.sku, "name": item.name, "category": item.category,
                                                     "seller_id": item.seller_id}
    fingerprint = hashlib.sha256("\x1f".join([item.document, *map(str, metadata.values())]).encode()).hexdigest()
    return Record(id=item.sku, document=item.document, metadata=metadata, fingerprint=fingerprint[:16])


class ProductIndex:
    """Semantic index of the catalog."""

    def __init__(self, collection: Collection) -> None:
        self._collection = collection

    def sync(self, items: Iterable[CatalogItem], *, progress: Progress | None = None) -> SyncReport:
        """Make the index equal to `items`: changed products re-embedded, missing ones deleted."""
        return sync(self._collection, [_record(i) for i in items], prune=True, progress=progress)

    def upsert(self, items: Iterable[CatalogItem]) -> SyncReport:
        """Index new or changed products, leaving the others as they are (for product events)."""
        return sync(self._collection, [_record(i) for i in items], prune=False)

    def remove(self, skus: Sequence[str]) -> None:
        if skus:
            self._collection.delete(ids=list(skus))

    def similar(self, query: str, *, k: int = 5, exclude: Sequence[str] = ()) -> list[ProductMatch]:
        """Products closest in meaning to `query`, best first (cosine similarity)."""
        count = self._collection.count()
        if not count or not query.strip():
            return []
        got = self._collection.query(query_texts=[query], n_results=min(count, k + len(exclude)),
                                     include=["metadatas", "distances"])  # type: ignore[list-item]
        metas, dists = (got.get("metadatas") or [[]])[0], (got.get("distances") or [[]])[0]
        matches = [ProductMatch(sku=str(m["sku"]), name=str(m["name"]), category=str(m["category"]),
                                seller_id=str(m.get("seller_id", "")), similarity=1.0 - d)
                   for m, d in zip(metas, dists, strict=True) if m]
        return [m for m in matches if m.sku not in exclude][:k]
