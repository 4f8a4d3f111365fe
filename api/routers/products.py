"""Catalog search and similar products."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from api.deps import BusDep, PlatformDep, ReadUowDep, cached_or_in_thread, oauth2_scheme, principal_from_token
from commerce.identity.principal import ANONYMOUS, Principal
from commerce.marketplace.schemas import ProductRead
from commerce.marketplace.search import peek_catalog, search_catalog
from commerce.recommendations import MAX_SIMILAR, SimilarProductsRead, similar_products

router = APIRouter(prefix="/v1/products", tags=["catálogo"])


def caller_or_anonymous(request: Request, token: Annotated[str | None, Depends(oauth2_scheme)]) -> Principal:
    """The logged-in caller (a buyer gets stock near their city), or the anonymous catalog reader."""
    return principal_from_token(request, token) if token else ANONYMOUS


@router.get("", response_model=list[ProductRead],
            summary="Search the public catalog by words and meaning (accents and case ignored, no login needed)")
async def list_products(
    platform: PlatformDep,
    q: str = Query(default="", max_length=200,
                   description="Palabras a buscar o lo que buscas, p. ej. «cafe nariño» o «algo para el frío»"),
    max_price_cop: int | None = Query(default=None, gt=0, description="Precio máximo en pesos (COP)"),
    limit: int = Query(default=20, ge=1, le=50),
) -> list[ProductRead]:
    # From the read cache; the database (and the semantic index) only on a miss (docs/performance.md).
    search = platform.bus.view(search_catalog)
    return await cached_or_in_thread(
        lambda: peek_catalog(principal=ANONYMOUS, query=q, max_price_cop=max_price_cop, limit=limit,
                             cache=platform.cache),
        lambda: search(read=platform.read_uow, principal=ANONYMOUS, query=q, max_price_cop=max_price_cop,
                       limit=limit))


@router.get("/{sku}/similar", response_model=SimilarProductsRead,
            summary="Products like this one that are in stock, from the warehouse nearest the buyer",
            # The token is optional (OpenAPI's empty requirement): anonymous readers get the catalog view.
            openapi_extra={"security": [{}]})
def list_similar(
    sku: str,
    uow: ReadUowDep,
    bus: BusDep,
    principal: Annotated[Principal, Depends(caller_or_anonymous)],
    limit: int = Query(default=5, ge=1, le=MAX_SIMILAR),
) -> SimilarProductsRead:
    return bus.view(similar_products)(uow=uow, principal=principal, sku=sku, limit=limit)
