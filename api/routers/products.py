"""Catalog search."""

from __future__ import annotations

from fastapi import APIRouter, Query

from api.deps import ReadUowDep
from commerce.identity.principal import ANONYMOUS
from commerce.marketplace.schemas import ProductRead
from commerce.marketplace.search import search_products

router = APIRouter(prefix="/v1/products", tags=["catálogo"])


@router.get("", response_model=list[ProductRead],
            summary="Search the public catalog (accents and case ignored, no login needed)")
def list_products(
    uow: ReadUowDep,
    q: str = Query(default="", max_length=200, description="Palabras a buscar, p. ej. «cafe nariño»"),
    max_price_cop: int | None = Query(default=None, gt=0, description="Precio máximo en pesos (COP)"),
    limit: int = Query(default=20, ge=1, le=50),
) -> list[ProductRead]:
    return search_products(uow=uow, principal=ANONYMOUS, query=q, max_price_cop=max_price_cop, limit=limit)
