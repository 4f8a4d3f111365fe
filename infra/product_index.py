"""The catalog's semantic index: commerce's `SemanticProductIndex` port over knowledge's Chroma collection.

The Chroma client (and the embedding model) open at the first use, not at bootstrap, so a process
that never searches never loads them; even the imports wait (chromadb takes seconds to import).
With no catalog collection yet, or a store that cannot be reached, `rank` answers None and search
falls back to full text: a missing index is never a failed search.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from commerce.marketplace.models import Product
from commerce.marketplace.semantic import Listing, SemanticHit
from infra.settings import ChromaMode, Settings

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

    from knowledge import CatalogItem, ProductIndex, SyncReport

log = logging.getLogger(__name__)


def _item(listing: Listing) -> CatalogItem:
    from knowledge import CatalogItem

    return CatalogItem(sku=listing.sku, name=listing.name, category=listing.category,
                       description=listing.description, seller_id=listing.seller_id)


def client_opener(settings: Settings) -> Callable[[], ClientAPI]:
    """Opens the Chroma store `settings` name: the server (MESTOCKER_CHROMA_URL) or the data dir."""

    def open_store() -> ClientAPI:
        from knowledge import open_client

        if settings.chroma_mode == ChromaMode.HTTP:
            return open_client(url=settings.chroma_url)
        return open_client(path=settings.chroma_path)

    return open_store


def build_product_index(settings: Settings) -> ChromaProductIndex:
    """The index over the store `settings` name; an embedded store whose folder is missing has no index."""
    if settings.chroma_mode == ChromaMode.HTTP:
        return ChromaProductIndex(client_opener(settings))
    return ChromaProductIndex(client_opener(settings), may_exist=settings.chroma_path.exists)


def _open_index(client: ClientAPI) -> ProductIndex:
    from knowledge import ProductIndex
    from knowledge.store import PRODUCTS_COLLECTION, open_collection

    return ProductIndex(open_collection(client, PRODUCTS_COLLECTION))


def _has_products(client: ClientAPI) -> bool:
    from knowledge.store import PRODUCTS_COLLECTION, collection_exists

    return collection_exists(client, PRODUCTS_COLLECTION)


class ChromaProductIndex:
    """`SemanticProductIndex` over the `mestocker-products` collection, opened lazily."""

    def __init__(self, open_store: Callable[[], ClientAPI], *, may_exist: Callable[[], bool] = lambda: True) -> None:
        self._open_store = open_store
        self._may_exist = may_exist
        self._client: ClientAPI | None = None
        self._index: ProductIndex | None = None
        self._lock = threading.Lock()

    def _store(self) -> ClientAPI:
        if self._client is None:
            self._client = self._open_store()
        return self._client

    def _writable(self) -> ProductIndex:
        with self._lock:
            if self._index is None:
                self._index = _open_index(self._store())
            return self._index

    def _readable(self) -> ProductIndex | None:
        """The index when it holds products; None before anything was indexed (reads never create it)."""
        with self._lock:
            if self._index is None:
                if not self._may_exist() or not _has_products(self._store()):
                    return None
                self._index = _open_index(self._store())
            return self._index

    def rank(self, text: str, *, limit: int, exclude: Sequence[str] = ()) -> list[SemanticHit] | None:
        try:
            index = self._readable()
            if index is None:
                return None
            matches = index.similar(text, k=limit, exclude=exclude)
        except Exception:  # an unreachable server or a broken store: full text still answers
            log.warning("semantic product search unavailable; falling back to full text", exc_info=True)
            return None
        return [SemanticHit(sku=m.sku, similarity=m.similarity) for m in matches]

    def upsert(self, listings: Sequence[Listing]) -> None:
        self._keep_current(lambda index: index.upsert([_item(listing) for listing in listings]))

    def remove(self, skus: Sequence[str]) -> None:
        self._keep_current(lambda index: index.remove(skus))

    def _keep_current(self, change: Callable[[ProductIndex], object]) -> None:
        """Apply a product event's change to an index that exists; build none from a single event.

        A missing index stays missing (a partial one would make search "find" just the products that
        happened to change); the next full sync builds it whole. A store that fails is logged, not raised:
        the index is derived from the database, the fingerprint sync repairs it, and an in-process
        consumer that raised would stop the outbox relay for every other event."""
        try:
            index = self._readable()
            if index is not None:
                change(index)
        except Exception:
            log.warning("could not update the catalog's semantic index; the next sync repairs it", exc_info=True)

    def sync(self, listings: Sequence[Listing]) -> SyncReport:
        """Make the index equal to `listings` (a full rebuild writes only what changed)."""
        return self._writable().sync([_item(listing) for listing in listings])


def active_listings(session: Session) -> list[Listing]:
    """Every product for sale, as the index embeds it."""
    products = session.scalars(select(Product).where(Product.active.is_(True)).order_by(Product.sku))
    return [Listing.of(p) for p in products]


def index_catalog(session: Session, index: ChromaProductIndex) -> SyncReport:
    """Sync the whole catalog into the index: new and changed products written, withdrawn ones deleted."""
    return index.sync(active_listings(session))
