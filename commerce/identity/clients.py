"""Service clients: other programs that call the API as themselves (OAuth2 client credentials, RFC 6749 §4.4).

A client has a public `client_id`, a secret shown once at creation and stored only as an Argon2id
hash (the password hasher: a leaked table yields no usable secret), a fixed set of scopes and,
optionally, the seller it works for (a seller's ERP sees that seller's rows only; without one, a
platform service reaches every seller within its scopes). Its tokens carry no refresh token:
a client holds its secret and simply asks again. Revoking a client stops its tokens at the next
request, as deactivating a user does.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from pydantic import BaseModel, Field, StrictStr, field_validator
from sqlalchemy import ForeignKey, String, column, select, table
from sqlalchemy.orm import Mapped, mapped_column

from commerce.identity.passwords import hash_password, verify_password
from commerce.identity.principal import SERVICE_SCOPES, Principal, Scope, parse_scopes
from commerce.shared.clock import utcnow
from commerce.shared.commands import Command
from commerce.shared.errors import Conflict, InvalidClient, InvalidInput, InvalidScope, NotFound
from commerce.shared.orm import Base
from commerce.shared.unit_of_work import UnitOfWork

BAD_CLIENT = "Credenciales de cliente inválidas."
# Work that is MeStocker's own, across every seller: not for a client that acts for one seller.
PLATFORM_ONLY: frozenset[Scope] = frozenset({Scope.FULFILLMENT_WRITE, Scope.SELLERS_ADMIN, Scope.ROUTING_LOGS_READ,
                                             Scope.PRIVACY_ADMIN})
_SELLERS = table("sellers", column("id"))  # identity checks a seller id without importing the marketplace
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")


class ServiceClient(Base):
    __tablename__ = "service_clients"

    client_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[str] = mapped_column(String(1000))  # space-separated, as in OAuth2's `scope`
    seller_id: Mapped[str | None] = mapped_column(ForeignKey("sellers.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    def principal(self) -> Principal:
        return Principal.service(client_id=self.client_id, name=self.name, scopes=self.scopes.split(),
                                 seller_id=self.seller_id)


class ServiceClientRead(BaseModel):
    client_id: str
    name: str
    scopes: list[str]
    seller_id: str | None
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class CreatedClient:
    """A new client and its secret, which is never shown again."""

    client: ServiceClientRead
    secret: str


class CreateServiceClient(Command):
    """Register a service client with `scopes` (for one seller, or the platform when `seller_id` is None)."""

    name: StrictStr = Field(min_length=2, max_length=63)
    scopes: list[StrictStr] = Field(min_length=1, max_length=len(Scope))
    seller_id: StrictStr | None = Field(default=None, min_length=3, max_length=16)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("usa minúsculas, números, '.', '_' o '-' (p. ej. reorder-cron)")
        return value


class RevokeServiceClient(Command):
    """Revoke a client by its id or name: its tokens stop working at once."""

    client: StrictStr = Field(min_length=2, max_length=64)


def _read(row: ServiceClient) -> ServiceClientRead:
    return ServiceClientRead(client_id=row.client_id, name=row.name, scopes=sorted(row.scopes.split()),
                             seller_id=row.seller_id, created_at=row.created_at, revoked_at=row.revoked_at)


def _grantable(scopes: list[str], seller_id: str | None) -> frozenset[str]:
    wanted = parse_scopes(scopes)
    refused = sorted(wanted - {str(s) for s in SERVICE_SCOPES})
    if refused:
        raise InvalidScope(f"Un cliente de servicio no puede tener {', '.join(refused)}: son de una persona.")
    if seller_id is not None and (platform := sorted(wanted & {str(s) for s in PLATFORM_ONLY})):
        raise InvalidScope(f"{', '.join(platform)} es trabajo de la plataforma, no de un cliente de un vendedor.")
    return wanted


def create_service_client(cmd: CreateServiceClient, uow: UnitOfWork) -> CreatedClient:
    """Store the client with its hashed secret; return the secret once."""
    scopes = _grantable(cmd.scopes, cmd.seller_id)
    if cmd.seller_id is not None and uow.session.scalar(
            select(_SELLERS.c.id).where(_SELLERS.c.id == cmd.seller_id)) is None:
        raise InvalidInput(f"No existe el vendedor {cmd.seller_id}.")
    if uow.session.scalar(select(ServiceClient.client_id).where(ServiceClient.name == cmd.name)) is not None:
        raise Conflict(f"Ya existe un cliente llamado {cmd.name}.")
    secret = secrets.token_urlsafe(32)
    row = ServiceClient(client_id=f"cli_{secrets.token_hex(8)}", name=cmd.name, secret_hash=hash_password(secret),
                        scopes=" ".join(sorted(scopes)), seller_id=cmd.seller_id, created_at=utcnow())
    uow.session.add(row)
    uow.session.flush()
    return CreatedClient(client=_read(row), secret=secret)


def revoke_service_client(cmd: RevokeServiceClient, uow: UnitOfWork) -> ServiceClientRead:
    """Mark the client revoked (revoking twice keeps the first moment)."""
    row = uow.session.scalar(select(ServiceClient).where(
        (ServiceClient.client_id == cmd.client) | (ServiceClient.name == cmd.client)).with_for_update())
    if row is None:
        raise NotFound(f"No existe el cliente {cmd.client}.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return _read(row)


def list_service_clients(*, uow: UnitOfWork) -> list[ServiceClientRead]:
    """Every client, newest first (secrets are never readable)."""
    rows = uow.session.scalars(select(ServiceClient).order_by(ServiceClient.created_at.desc(), ServiceClient.name))
    return [_read(row) for row in rows]


@cache
def _decoy_hash() -> str:
    return hash_password("decoy-client-secret")


def authenticate_client(*, uow: UnitOfWork, client_id: str, secret: str) -> Principal:
    """The principal of a live client whose secret matches; InvalidClient otherwise (same answer, same cost)."""
    row = uow.session.get(ServiceClient, client_id) if client_id else None
    if row is None or row.revoked_at is not None:
        verify_password(secret, _decoy_hash())  # unknown ids cost one Argon2id too
        raise InvalidClient(BAD_CLIENT)
    if not verify_password(secret, row.secret_hash):
        raise InvalidClient(BAD_CLIENT)
    return row.principal()


def get_client_principal(*, uow: UnitOfWork, client_id: str) -> Principal | None:
    """The principal of a client that is not revoked, or None."""
    row = uow.session.get(ServiceClient, client_id)
    return row.principal() if row is not None and row.revoked_at is None else None
