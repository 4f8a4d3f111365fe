"""A semantic index of the seeded catalog, for tests of hybrid search and similar products.

Built from the seed's own files (the same listings `mestocker seed` writes and embeds), once per test
module: embedding the catalog takes a few seconds.
"""

from __future__ import annotations

from pathlib import Path

from commerce.marketplace.semantic import Listing
from infra.product_index import ChromaProductIndex
from infra.seed.world import load_demo_world, load_product_descriptions


def seeded_listings() -> list[Listing]:
    descriptions = load_product_descriptions()
    return [Listing(sku=p["sku"], seller_id=p["seller_id"], name=p["name"], category=p["category"],
                    description=descriptions[p["sku"]]) for p in load_demo_world()["products"]]


def build_catalog_index(folder: Path) -> ChromaProductIndex:
    """A Chroma catalog index under `folder` holding every seeded product."""
    from knowledge import open_client

    index = ChromaProductIndex(lambda: open_client(path=folder))
    index.sync(seeded_listings())
    return index
