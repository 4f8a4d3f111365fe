"""Orders as each caller may see them.

An order can mix products of several sellers. The existing views authorize a seller to open an
order that holds one of their products; these views also trim it to that seller's own lines (no
other seller's products, prices or the buyer's payments), which is what chat agents show.
"""

from __future__ import annotations

from commerce.identity.principal import Principal
from commerce.marketplace import views
from commerce.marketplace.schemas import OrderRead
from commerce.shared.unit_of_work import UnitOfWork


def visible_to(principal: Principal, order: OrderRead) -> OrderRead:
    """`order` trimmed for `principal`: buyers and staff see it whole, sellers only their part."""
    if principal.cross_tenant or (principal.buyer_id and principal.buyer_id == order.buyer_id):
        return order
    own = [line for line in order.lines if line.seller_id == principal.seller_id]
    return order.model_copy(update={"lines": own, "payments": [], "total_cop": sum(ln.subtotal_cop for ln in own)})


def get_visible_order(*, uow: UnitOfWork, principal: Principal, order_id: str) -> OrderRead:
    """One order the principal may see, trimmed to what is theirs."""
    return visible_to(principal, views.get_order(uow=uow, principal=principal, order_id=order_id))


def list_visible_orders(
    *, uow: UnitOfWork, principal: Principal, status: str | None = None, limit: int = 50
) -> list[OrderRead]:
    """Orders the principal may see, newest first, each trimmed to what is theirs."""
    return [visible_to(principal, o) for o in views.list_orders(uow=uow, principal=principal, status=status,
                                                                 limit=limit)]
