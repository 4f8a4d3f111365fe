"""Roles, scopes and the `Principal`: who is asking, as the rest of the system sees it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from commerce.shared.errors import NotAuthorized


class Role(StrEnum):
    SUPERUSER = "superuser"
    ADMIN = "admin"
    CLIENTE = "cliente"  # a seller's user
    COMPRADOR = "comprador"  # a buyer


class Scope(StrEnum):
    INVENTORY_READ = "inventory:read"
    INVENTORY_WRITE = "inventory:write"
    CATALOG_READ = "catalog:read"
    CATALOG_WRITE = "catalog:write"
    ORDERS_READ = "orders:read"
    ORDERS_WRITE = "orders:write"
    SALES_READ = "sales:read"
    PURCHASING_READ = "purchasing:read"
    PURCHASING_WRITE = "purchasing:write"
    USERS_ADMIN = "users:admin"


ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.SUPERUSER: frozenset(Scope),
    Role.ADMIN: frozenset(Scope) - {Scope.USERS_ADMIN},
    Role.CLIENTE: frozenset(
        {
            Scope.INVENTORY_READ, Scope.INVENTORY_WRITE, Scope.CATALOG_READ, Scope.CATALOG_WRITE,
            Scope.ORDERS_READ, Scope.SALES_READ, Scope.PURCHASING_READ, Scope.PURCHASING_WRITE,
        }
    ),
    Role.COMPRADOR: frozenset({Scope.CATALOG_READ, Scope.ORDERS_READ, Scope.ORDERS_WRITE}),
}


@dataclass(frozen=True)
class Principal:
    """An authenticated caller. Seller users carry `seller_id`, buyers `buyer_id`."""

    user_id: int
    email: str
    role: Role
    scopes: frozenset[str] = field(default_factory=frozenset)
    seller_id: str | None = None
    buyer_id: str | None = None

    @classmethod
    def for_role(
        cls, *, user_id: int, email: str, role: Role, seller_id: str | None = None, buyer_id: str | None = None
    ) -> Principal:
        """Build a principal with the default scopes of its role."""
        scopes = frozenset(str(s) for s in ROLE_SCOPES[role])
        return cls(user_id=user_id, email=email, role=role, scopes=scopes, seller_id=seller_id, buyer_id=buyer_id)

    @property
    def is_staff(self) -> bool:
        """Admins and superusers see everything."""
        return self.role in (Role.ADMIN, Role.SUPERUSER)

    def require(self, scope: Scope) -> None:
        """Raise NotAuthorized unless the principal holds `scope`."""
        if str(scope) not in self.scopes:
            raise NotAuthorized("No tienes permiso para realizar esta acción.")

    def owns_seller(self, seller_id: str) -> bool:
        """True for staff and for the seller's own users."""
        return self.is_staff or (self.seller_id is not None and self.seller_id == seller_id)

    def require_seller(self, seller_id: str, what: str = "este recurso") -> None:
        """Raise NotAuthorized unless staff or the seller that owns `what`."""
        if not self.owns_seller(seller_id):
            raise NotAuthorized(f"No tienes permiso para ver o modificar {what}.")


SYSTEM = Principal.for_role(user_id=0, email="system@mestocker.internal", role=Role.SUPERUSER)
"""The platform itself (workers, seed, sweeper) acting with full rights."""

ANONYMOUS = Principal(user_id=-1, email="", role=Role.COMPRADOR, scopes=frozenset({str(Scope.CATALOG_READ)}))
"""A visitor without a session: may browse the public catalog, nothing else."""
