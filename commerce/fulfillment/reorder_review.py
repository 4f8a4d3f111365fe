"""Previews of a seller's decisions on reorder proposals (approval's is in previews.py, with the other writes).

Apart from reorder_proposals because handlers import that module and previews import handlers.
"""

from __future__ import annotations

from commerce.fulfillment.previews import get_purchase_order
from commerce.fulfillment.reorder_proposals import ensure_rejectable
from commerce.fulfillment.schemas import PurchaseOrderRead
from commerce.identity.principal import Principal, Scope
from commerce.shared.unit_of_work import UnitOfWork


def preview_rejection(*, uow: UnitOfWork, principal: Principal, purchase_order_id: str) -> PurchaseOrderRead:
    """The draft `RejectPurchaseOrder` would reject, or the error it would raise."""
    principal.require(Scope.REORDER_APPROVE)
    po = get_purchase_order(uow=uow, principal=principal, purchase_order_id=purchase_order_id)
    ensure_rejectable(po.id, po.status)
    return po
