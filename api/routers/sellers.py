"""Seller registration (staff) and a seller's own record."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from api.deps import BusDep, CurrentPrincipal, PlatformDep
from commerce.marketplace import commands, views
from commerce.marketplace.schemas import SellerRead

router = APIRouter(prefix="/v1/sellers", tags=["vendedores"])
SellerId = Annotated[str, Path(min_length=3, max_length=16, description="p. ej. SEL-CAFE")]


class SellerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: str = Field(min_length=3, max_length=16, pattern=r"^[A-Z0-9-]+$", examples=["SEL-NUEVO"])
    legal_name: str = Field(min_length=2, max_length=200, examples=["Nueva Tienda S.A.S."])
    nit: str = Field(min_length=5, max_length=20, examples=["800.197.268-4"],
                     description="NIT con dígito de verificación de la DIAN")
    city: str = Field(min_length=2, max_length=80, examples=["Bogotá D.C."])
    contact_email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                               examples=["ventas@nuevatienda.example.co"])


@router.post("", status_code=201, response_model=SellerRead,
             responses={409: {"description": "NIT o código ya registrado"},
                        422: {"description": "Datos inválidos o NIT con dígito de verificación incorrecto"}},
             summary="Register a seller (staff only); the NIT's DIAN check digit is verified")
def register_seller(body: SellerCreate, bus: BusDep, platform: PlatformDep, principal: CurrentPrincipal) -> SellerRead:
    seller_id = bus.handle(commands.RegisterSeller(**body.model_dump(), actor=principal))
    with platform.read_uow() as uow:
        return views.get_seller(uow=uow, principal=principal, seller_id=seller_id)


@router.get("/{seller_id}", response_model=SellerRead, summary="A seller's record (staff or its own users)")
def get_seller(seller_id: SellerId, platform: PlatformDep, principal: CurrentPrincipal) -> SellerRead:
    with platform.read_uow() as uow:
        return views.get_seller(uow=uow, principal=principal, seller_id=seller_id)
