"""OAuth2 password flow → JWT access token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from api.deps import BusDep, PlatformDep
from api.security import create_access_token
from commerce.identity.services import authenticate

router = APIRouter(prefix="/v1/auth", tags=["autenticación"])


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    role: str
    scopes: list[str]
    seller_id: str | None
    buyer_id: str | None


@router.post("/token", response_model=TokenRead, summary="Log in with email and password (OAuth2 form)")
def login(
    request: Request, platform: PlatformDep, bus: BusDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> TokenRead:
    settings = platform.settings
    with platform.read_uow() as uow:
        login = authenticate(uow=uow, email=form.username, password=form.password,
                             allow_demo_password=not settings.is_production)
    if login.rehash is not None:  # an old scrypt hash: store its Argon2id replacement
        bus.handle(login.rehash)
    principal = login.principal
    token = create_access_token(principal, secret=request.app.state.jwt_secret,
                                ttl_minutes=settings.jwt_ttl_minutes)
    return TokenRead(access_token=token, expires_in=settings.jwt_ttl_minutes * 60, role=str(principal.role),
                     scopes=sorted(principal.scopes), seller_id=principal.seller_id, buyer_id=principal.buyer_id)
