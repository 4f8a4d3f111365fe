"""Product search in Elasticsearch: commerce's `TextProductIndex` port over the official client.

Chosen by MESTOCKER_SEARCH_BACKEND=elasticsearch (the default, `database`, keeps SQLite FTS5 or
PostgreSQL full text). The index's settings and mapping live in infra/deploy/elasticsearch/products.json:
a Spanish analyzer (lowercase, accent folding, Spanish stop words, light Spanish stemmer) for whole
words, and an edge n-gram subfield so a word prefix matches ("audif" finds "Audífonos"), like the
database search does.

The index is derived from the database: the `product-search` consumer re-reads a product on each
`product.updated` event from the outbox and writes its document (or deletes it when the product is
withdrawn), and `mestocker search reindex` rebuilds it whole (new index, changed documents, withdrawn
ones deleted). Search never fails because of the index: when Elasticsearch cannot answer, `rank`
returns None and search uses the database's full text.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commerce.marketplace.models import Product
from commerce.shared import events
from commerce.shared.unit_of_work import UnitOfWork
from infra.settings import SearchBackend, Settings

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

log = logging.getLogger(__name__)

MAPPING_RESOURCE = "deploy/elasticsearch/products.json"
# Name matches weigh most, then the other fields; the whole-word field beats the prefix one.
NAME_BOOST = 3.0
PREFIX_BOOST = 0.5


@lru_cache
def index_definition() -> dict[str, Any]:
    """The index's `settings` and `mappings` (infra/deploy/elasticsearch/products.json, shipped in the wheel)."""
    text = resources.files("infra").joinpath(MAPPING_RESOURCE).read_text(encoding="utf-8")
    definition: dict[str, Any] = json.loads(text)
    return definition


@dataclass(frozen=True)
class SearchDocument:
    """What the index holds of a product: public text, price (the price filter) and whether it is for sale."""

    sku: str
    seller_id: str
    name: str
    category: str
    description: str
    price_cop: int
    active: bool

    @classmethod
    def of(cls, product: Product) -> SearchDocument:
        return cls(sku=product.sku, seller_id=product.seller_id, name=product.name, category=product.category,
                   description=product.description or "", price_cop=product.price_cop, active=product.active)

    def source(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ReindexReport:
    indexed: int
    deleted: int
    created_index: bool


def search_body(terms: Sequence[str], *, max_price_cop: int | None, limit: int) -> dict[str, Any]:
    """The search request: every term must match (as a word or a word's prefix), names rank first."""
    must = [{"multi_match": {"query": term, "type": "best_fields",
                             "fields": ["search_text", f"search_text.prefix^{PREFIX_BOOST}"]}} for term in terms]
    filters: list[dict[str, Any]] = [{"term": {"active": True}}]
    if max_price_cop is not None:
        filters.append({"range": {"price_cop": {"lte": max_price_cop}}})
    return {
        "query": {"bool": {"must": must, "filter": filters,
                           "should": [{"match": {"name": {"query": " ".join(terms), "boost": NAME_BOOST}}}]}},
        "size": limit,
        "sort": ["_score", {"name.sort": "asc"}],
        "_source": False,
        "track_total_hits": False,
    }


class ElasticsearchProductIndex:
    """`TextProductIndex` over one Elasticsearch index (documents keyed by SKU)."""

    def __init__(self, client: Elasticsearch, index: str) -> None:
        self.client = client
        self.index = index

    @classmethod
    def from_settings(cls, settings: Settings) -> ElasticsearchProductIndex:
        from elasticsearch import Elasticsearch

        client = Elasticsearch(settings.elasticsearch_url, api_key=settings.elasticsearch_api_key or None,
                               request_timeout=settings.elasticsearch_timeout_s, max_retries=1,
                               retry_on_timeout=True)
        return cls(client, settings.elasticsearch_index)

    # ---- reads ----------------------------------------------------------------------------------

    def rank(self, terms: Sequence[str], *, max_price_cop: int | None, limit: int) -> list[str] | None:
        if not terms:
            return None
        try:
            response = self.client.search(index=self.index, body=search_body(terms, max_price_cop=max_price_cop,
                                                                                limit=limit))
        except Exception:  # unreachable, missing index, rejected query: the database still answers
            log.warning("Elasticsearch product search unavailable; falling back to the database", exc_info=True)
            return None
        return [hit["_id"] for hit in response["hits"]["hits"]]

    def ping(self) -> bool:
        """True when the cluster answers and the index exists (readiness)."""
        try:
            return bool(self.client.indices.exists(index=self.index))
        except Exception:
            return False

    # ---- writes ---------------------------------------------------------------------------------

    def ensure_index(self) -> bool:
        """Create the index with its mapping when it does not exist; True when it was created."""
        if self.client.indices.exists(index=self.index):
            return False
        definition = index_definition()
        self.client.indices.create(index=self.index, settings=definition["settings"],
                                   mappings=definition["mappings"])
        return True

    def upsert(self, documents: Iterable[SearchDocument], *, refresh: bool = False) -> int:
        operations: list[dict[str, Any]] = []
        for document in documents:
            operations += [{"index": {"_index": self.index, "_id": document.sku}}, document.source()]
        if not operations:
            return 0
        response = self.client.bulk(operations=operations, refresh=refresh)
        _raise_for_bulk_errors(response, tolerate_missing=False)
        return len(operations) // 2

    def remove(self, skus: Sequence[str], *, refresh: bool = False) -> None:
        if not skus:
            return
        response = self.client.bulk(operations=[{"delete": {"_index": self.index, "_id": sku}} for sku in skus],
                                    refresh=refresh)
        _raise_for_bulk_errors(response, tolerate_missing=True)

    def reindex(self, documents: Sequence[SearchDocument]) -> ReindexReport:
        """Make the index hold exactly `documents` (the active catalog): write them, delete every other one."""
        created = self.ensure_index()
        indexed = self.upsert(documents)
        response = self.client.delete_by_query(
            index=self.index, refresh=True, conflicts="proceed",
            query={"bool": {"must_not": [{"ids": {"values": [d.sku for d in documents]}}]}})
        return ReindexReport(indexed=indexed, deleted=int(response.get("deleted", 0)), created_index=created)

    def close(self) -> None:
        self.client.close()


class SearchIndexError(RuntimeError):
    """Elasticsearch refused some documents of a bulk request."""


def _raise_for_bulk_errors(response: Any, *, tolerate_missing: bool) -> None:
    if not response.get("errors"):
        return
    failures = []
    for item in response.get("items", []):
        (action, result), = item.items()
        if result.get("status", 200) < 300 or (tolerate_missing and result.get("status") == 404):
            continue
        failures.append(f"{action} {result.get('_id')}: {result.get('error')}")
    if failures:
        raise SearchIndexError("; ".join(failures[:5]))


def build_search_index(settings: Settings) -> ElasticsearchProductIndex | None:
    """The Elasticsearch index when the settings choose it; None keeps the database's full text."""
    if settings.search_backend != SearchBackend.ELASTICSEARCH:
        return None
    return ElasticsearchProductIndex.from_settings(settings)


def active_documents(session: Session) -> list[SearchDocument]:
    products = session.scalars(select(Product).where(Product.active.is_(True)).order_by(Product.sku))
    return [SearchDocument.of(p) for p in products]


def reindex_search_document(event: events.ProductUpdated, uow: UnitOfWork, *,
                            index: ElasticsearchProductIndex) -> None:
    """Consumer of `product.updated`: write the product's current document, or delete it once withdrawn.

    A failed write is logged, not raised (an in-process consumer that raised would stop the outbox relay
    for every other event); `mestocker search reindex` repairs what was missed."""
    product = uow.session.get(Product, event.sku)
    try:
        if product is None or not product.active:
            index.remove([event.sku])
        else:
            index.upsert([SearchDocument.of(product)])
    except Exception:
        log.warning("could not update the product search index for %s; a reindex repairs it", event.sku,
                    exc_info=True)


SEARCH_INDEXED_EVENTS = frozenset({events.ProductUpdated.name})
