"""Which events a purchase order announces, by who drafted it.

A draft the reorder agent makes is a proposal: the agent announces `reorder.initiated` when it
drafts it, and the order to the supplier (`purchase_order.created`) exists once the seller approves.
A draft someone writes by hand is an order from the start, and its approval initiates the reorder.
"""

from __future__ import annotations

from commerce.fulfillment.models import PurchaseOrder
from commerce.shared import events

AGENT_SOURCE = "reorder"  # PurchaseOrder.source of the drafts the reorder agent makes


def _created(po: PurchaseOrder) -> events.PurchaseOrderCreated:
    return events.PurchaseOrderCreated(
        purchase_order_id=po.id, supplier_id=po.supplier_id, seller_id=po.seller_id, warehouse=po.warehouse,
        lines=[events.LineQty(sku=ln.sku, quantity=ln.quantity) for ln in po.lines],
    )


def _initiated(po: PurchaseOrder) -> events.ReorderInitiated:
    return events.ReorderInitiated(purchase_order_id=po.id, supplier_id=po.supplier_id, seller_id=po.seller_id)


def on_drafted(po: PurchaseOrder) -> list[events.Event]:
    """Events of a new draft."""
    return [_initiated(po)] if po.source == AGENT_SOURCE else [_created(po)]


def on_approved(po: PurchaseOrder) -> list[events.Event]:
    """Events of an approval."""
    approved = events.ReorderApproved(purchase_order_id=po.id, supplier_id=po.supplier_id, seller_id=po.seller_id)
    return [approved, _created(po) if po.source == AGENT_SOURCE else _initiated(po)]
