"""Roles, scopes and the `Principal`: who is asking, as the rest of the system sees it.

Authorization is decided here, once. A scope names one service and what may be done there
(`orders:read`, `reorder:approve`); a role is only a default bundle of scopes (`ROLE_SCOPES`),
and every view and command checks the scope it needs with `principal.require(...)`, never the
role. Which rows a scope reaches is ownership: staff and platform service clients act across
every seller and buyer (`cross_tenant`), a seller's users and clients on their seller only, a
buyer on their own orders. What a caller may not see does not exist for them: `hidden(...)`
raises the same `NotFound` a missing id raises.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from commerce.shared.errors import InvalidScope, NotAuthorized, NotFound


class Role(StrEnum):
    SUPERUSER = "superuser"
    ADMIN = "admin"
    CLIENTE = "cliente"  # a seller's user
    COMPRADOR = "comprador"  # a buyer
    SERVICE = "servicio"  # an OAuth2 client (client credentials): no user behind it


class PrincipalKind(StrEnum):
    USER = "user"
    SERVICE = "service"


class Scope(StrEnum):
    CATALOG_READ = "catalog:read"
    CATALOG_WRITE = "catalog:write"  # prices of one's own products
    INVENTORY_READ = "inventory:read"
    INVENTORY_WRITE = "inventory:write"  # adjust and transfer one's own stock
    ORDERS_READ = "orders:read"
    ORDERS_WRITE = "orders:write"  # place, pay, cancel
    FULFILLMENT_WRITE = "fulfillment:write"  # warehouse work: picking, shipping, delivery, PO sent/received
    SALES_READ = "sales:read"
    PURCHASING_READ = "purchasing:read"
    PURCHASING_WRITE = "purchasing:write"  # draft and cancel purchase orders
    REORDER_READ = "reorder:read"  # reorder proposals and their explanation
    REORDER_APPROVE = "reorder:approve"  # approve or reject a purchase-order draft
    REORDER_RUN = "reorder:run"  # run a reorder cycle
    REORDER_CONFIGURE = "reorder:configure"  # service level, review period, auto-approval limit
    SELLERS_ADMIN = "sellers:admin"  # register sellers
    ROUTING_LOGS_READ = "routing_logs:read"
    PRIVACY_ADMIN = "privacy:admin"  # another person's data: read (with a reason), export, erase; privacy requests
    AUDIT_READ = "audit:read"  # the access audit trail (superusers)
    USERS_ADMIN = "users:admin"
    CHAT = "chat:use"  # talk to the assistant (threads belong to a user)
    NOTIFICATIONS_READ = "notifications:read"  # one's own notifications


_SELLER = frozenset({
    Scope.CATALOG_READ, Scope.CATALOG_WRITE, Scope.INVENTORY_READ, Scope.INVENTORY_WRITE, Scope.ORDERS_READ,
    Scope.SALES_READ, Scope.PURCHASING_READ, Scope.PURCHASING_WRITE, Scope.REORDER_READ, Scope.REORDER_APPROVE,
    Scope.REORDER_RUN, Scope.REORDER_CONFIGURE, Scope.CHAT, Scope.NOTIFICATIONS_READ,
})
_BUYER = frozenset({Scope.CATALOG_READ, Scope.ORDERS_READ, Scope.ORDERS_WRITE, Scope.CHAT,
                    Scope.NOTIFICATIONS_READ})

ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.SUPERUSER: frozenset(Scope),
    Role.ADMIN: frozenset(Scope) - {Scope.USERS_ADMIN, Scope.AUDIT_READ},
    Role.CLIENTE: _SELLER,
    Role.COMPRADOR: _BUYER,
    Role.SERVICE: frozenset(),  # a client holds exactly the scopes it was created with
}

# A service client has no user: conversations and notifications, which belong to a person, are not
# for it, nor is administering users.
SERVICE_SCOPES: frozenset[Scope] = frozenset(Scope) - {Scope.CHAT, Scope.NOTIFICATIONS_READ, Scope.USERS_ADMIN}


def parse_scopes(text: str | Iterable[str]) -> frozenset[str]:
    """Scope names from an OAuth2 `scope` string ("a b", commas allowed) or a list; unknown ones are refused."""
    parts = text.replace(",", " ").split() if isinstance(text, str) else [p.strip() for p in text]
    known = {str(s) for s in Scope}
    unknown = sorted({p for p in parts if p} - known)
    if unknown:
        raise InvalidScope(f"Alcance desconocido: {', '.join(unknown)}.")
    return frozenset(p for p in parts if p)


@dataclass(frozen=True)
class Principal:
    """An authenticated caller. Seller users (and seller clients) carry `seller_id`, buyers `buyer_id`."""

    user_id: int
    email: str
    role: Role
    scopes: frozenset[str] = field(default_factory=frozenset)
    seller_id: str | None = None
    buyer_id: str | None = None
    kind: PrincipalKind = PrincipalKind.USER
    client_id: str | None = None

    @classmethod
    def for_role(
        cls, *, user_id: int, email: str, role: Role, seller_id: str | None = None, buyer_id: str | None = None
    ) -> Principal:
        """Build a principal with the default scopes of its role."""
        scopes = frozenset(str(s) for s in ROLE_SCOPES[role])
        return cls(user_id=user_id, email=email, role=role, scopes=scopes, seller_id=seller_id, buyer_id=buyer_id)

    @classmethod
    def service(cls, *, client_id: str, name: str, scopes: Iterable[str], seller_id: str | None = None) -> Principal:
        """A service client (OAuth2 client credentials): only its own scopes, no user, no buyer."""
        held = frozenset(scopes) & {str(s) for s in SERVICE_SCOPES}
        return cls(user_id=0, email=f"{name}@clients.mestocker.internal", role=Role.SERVICE, scopes=held,
                   seller_id=seller_id, kind=PrincipalKind.SERVICE, client_id=client_id)

    def narrowed(self, requested: Iterable[str] | None) -> Principal:
        """The same caller holding only `requested` (None: unchanged); asking for a scope it lacks is refused."""
        if requested is None:
            return self
        wanted = frozenset(requested)
        missing = sorted(wanted - self.scopes)
        if missing:
            raise InvalidScope(f"No puedes pedir el alcance {', '.join(missing)}: tu cuenta no lo tiene.")
        return replace(self, scopes=wanted)

    def within(self, claimed: Iterable[str]) -> Principal:
        """The caller holding what a token claims and the account still has (a role change applies at once)."""
        return replace(self, scopes=self.scopes & frozenset(claimed))

    @property
    def is_staff(self) -> bool:
        """Admins and superusers (a role, for display and defaults: authorization asks for scopes)."""
        return self.role in (Role.ADMIN, Role.SUPERUSER)

    @property
    def is_service(self) -> bool:
        return self.kind == PrincipalKind.SERVICE

    @property
    def cross_tenant(self) -> bool:
        """Staff and platform-wide service clients reach every seller's and buyer's rows (within their scopes)."""
        return self.is_staff or (self.is_service and self.seller_id is None)

    def holds(self, scope: Scope) -> bool:
        return str(scope) in self.scopes

    def require(self, scope: Scope) -> None:
        """Raise NotAuthorized unless the principal holds `scope` (checked before any look-up: says nothing
        about whether the resource exists)."""
        if str(scope) not in self.scopes:
            raise NotAuthorized("No tienes permiso para realizar esta acción.")

    def owns_seller(self, seller_id: str) -> bool:
        """True for cross-tenant callers and for the seller's own users and clients."""
        return self.cross_tenant or (self.seller_id is not None and self.seller_id == seller_id)

    def require_seller(self, seller_id: str, what: str = "este recurso") -> None:
        """Raise NotAuthorized unless the caller owns `what`: for resources whose existence is public
        (a product in the catalog). Private ones use `hidden`."""
        if not self.owns_seller(seller_id):
            raise NotAuthorized(f"No tienes permiso para ver o modificar {what}.")

    def hide_unless_seller(self, seller_id: str, missing: str) -> None:
        """Raise NotFound(`missing`), the very message of a missing id, unless the caller owns the seller's row."""
        if not self.owns_seller(seller_id):
            raise hidden(missing)


def hidden(missing: str) -> NotFound:
    """The error for a resource the caller may not see: the same as for one that does not exist."""
    return NotFound(missing)


SYSTEM = Principal.for_role(user_id=0, email="system@mestocker.internal", role=Role.SUPERUSER)
"""The platform itself (seed, migrations, internal event handlers) acting with full rights."""

WORKER = Principal.service(client_id="worker", name="worker", scopes=[str(Scope.REORDER_RUN)])
"""The background worker inside the platform, for the commands it starts on a schedule (reorder cycles); the
sweeper and the purge are platform housekeeping with no caller to authorize."""

ANONYMOUS = Principal(user_id=-1, email="", role=Role.COMPRADOR, scopes=frozenset({str(Scope.CATALOG_READ)}))
"""A visitor without a session: may browse the public catalog, nothing else."""
