"""Similar products a buyer can get now: the catalog's semantic neighbours, in stock near the buyer.

It sees both bounded contexts (like commerce.sales): the listing comes from the marketplace, "in stock
and where" from fulfillment's `candidate_warehouses`, the same rule that picks the warehouse of a new
order (the buyer's city first, then the most stock). What it returns is what the public catalog shows
plus the warehouse that would ship: never a cost, a supplier or a count of units.
"""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import select

from commerce.fulfillment.handlers import candidate_warehouses
from commerce.fulfillment.models import Warehouse
from commerce.identity.principal import Principal, Scope
from commerce.marketplace.models import Buyer, Product
from commerce.marketplace.semantic import Listing, SemanticProductIndex
from commerce.shared import events
from commerce.shared.errors import NotFound
from commerce.shared.unit_of_work import UnitOfWork

MAX_SIMILAR = 10
# Neighbours asked of the index: some will be out of stock or withdrawn and are skipped.
CANDIDATES = 20


class SimilarProductRead(BaseModel):
    sku: str
    name: str
    category: str
    description: str
    price_cop: int
    seller_id: str
    warehouse: str  # the warehouse that would ship one unit today: the buyer's city first
    warehouse_city: str


class SimilarProductsRead(BaseModel):
    sku: str  # the product they resemble
    name: str
    ship_to_city: str | None  # the buyer's city when the caller is a buyer
    semantic: bool  # False: no semantic index yet, so "similar" fell back to the same category
    products: list[SimilarProductRead]


def similar_products(*, uow: UnitOfWork, principal: Principal, sku: str, limit: int = 5,
                     semantic: SemanticProductIndex | None = None) -> SimilarProductsRead:
    """Products like `sku` that are in stock, each with the warehouse nearest the buyer that has it."""
    principal.require(Scope.CATALOG_READ)
    product = uow.session.get(Product, sku.strip().upper())
    if product is None or not product.active:
        raise NotFound(f"No existe el producto {sku} o no está a la venta.")
    limit = max(1, min(limit, MAX_SIMILAR))
    city = _buyer_city(uow, principal)
    ranked, used_index = _neighbours(uow, product, semantic)
    found: list[SimilarProductRead] = []
    for candidate in _for_sale(uow, ranked):
        shipped = _nearest_with_stock(uow, candidate.sku, city)
        if shipped is not None:
            found.append(_read(candidate, shipped))
        if len(found) == limit:
            break
    return SimilarProductsRead(sku=product.sku, name=product.name, ship_to_city=city, semantic=used_index,
                               products=found)


def _buyer_city(uow: UnitOfWork, principal: Principal) -> str | None:
    buyer = uow.session.get(Buyer, principal.buyer_id) if principal.buyer_id else None
    return buyer.city if buyer is not None else None


def _neighbours(uow: UnitOfWork, product: Product, semantic: SemanticProductIndex | None) -> tuple[list[str], bool]:
    """SKUs closest in meaning, or (no index yet) the rest of the product's category by name."""
    hits = semantic.rank(Listing.of(product).text, limit=CANDIDATES, exclude=[product.sku]) if semantic else None
    if hits is not None:
        return [h.sku for h in hits if h.sku != product.sku], True
    same = uow.session.scalars(select(Product.sku).where(Product.category == product.category,
                                                          Product.sku != product.sku).order_by(Product.name))
    return list(same), False


def _for_sale(uow: UnitOfWork, skus: list[str]) -> list[Product]:
    products = {p.sku: p for p in uow.session.scalars(select(Product).where(Product.sku.in_(skus)))}
    return [products[s] for s in skus if s in products and products[s].active]


def _nearest_with_stock(uow: UnitOfWork, sku: str, city: str | None) -> Warehouse | None:
    codes = candidate_warehouses(uow, [events.LineQty(sku=sku, quantity=1)], city)
    return uow.session.get(Warehouse, codes[0]) if codes else None


def _read(product: Product, warehouse: Warehouse) -> SimilarProductRead:
    return SimilarProductRead(sku=product.sku, name=product.name, category=product.category,
                              description=product.description, price_cop=product.price_cop,
                              seller_id=product.seller_id, warehouse=warehouse.code, warehouse_city=warehouse.city)
