"""Which handler answers which command and event. Bootstrap binds their dependencies.

This module is the one place that sees both bounded contexts: fulfillment and marketplace never
import each other, they react to each other's events listed here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from commerce import support
from commerce.fulfillment import commands as fc
from commerce.fulfillment import handlers as fh
from commerce.fulfillment import reorder
from commerce.identity import channels, erasure
from commerce.identity import handlers as identity_handlers
from commerce.marketplace import commands as mc
from commerce.marketplace import handlers as mh
from commerce.marketplace import payment_intents as payments
from commerce.shared import events, idempotency
from commerce.shared.commands import Command

COMMAND_HANDLERS: dict[type[Command], Callable[..., Any]] = {
    fc.ReserveStock: fh.reserve_stock,
    fc.ReleaseReservation: fh.release_reservation,
    fc.ReleaseExpiredReservations: fh.release_expired_reservations,
    fc.TransferStock: fh.transfer_stock,
    fc.AdjustStock: fh.adjust_stock,
    fc.StartPicking: fh.start_picking,
    fc.ShipOrder: fh.ship_order,
    fc.DeliverOrder: fh.deliver_order,
    fc.CreatePurchaseOrder: fh.create_purchase_order,
    fc.ApprovePurchaseOrder: fh.approve_purchase_order,
    fc.RejectPurchaseOrder: fh.reject_purchase_order,
    fc.SendPurchaseOrder: fh.send_purchase_order,
    fc.ReceivePurchaseOrder: fh.receive_purchase_order,
    fc.CancelPurchaseOrder: fh.cancel_purchase_order,
    mc.PlaceOrder: mh.place_order,
    mc.PayOrder: payments.start_payment,
    mc.RecordPaymentNotification: payments.record_notification,
    mc.ExpirePayment: payments.expire_payment,
    mc.CancelOrder: mh.cancel_order,
    mc.UpdatePrice: mh.update_price,
    mc.RegisterSeller: mh.register_seller,
    support.OpenSupportTicket: support.open_support_ticket,
    erasure.EraseSubjectData: erasure.erase_subject_data,
    channels.RecordChannelUse: channels.register_channel_use,
    channels.IdentifyWhatsAppSender: channels.identify_whatsapp_sender,
    channels.ClaimInboundMessage: channels.claim_inbound_message,
    idempotency.ClaimIdempotencyKey: idempotency.claim_idempotency_key,
    idempotency.CompleteIdempotentRequest: idempotency.complete_idempotent_request,
    idempotency.ReleaseIdempotencyKey: idempotency.release_idempotency_key,
    idempotency.PurgeIdempotencyKeys: idempotency.purge_idempotency_keys,
    **reorder.COMMAND_HANDLERS,
    **identity_handlers.COMMAND_HANDLERS,
}

# In-transaction reactions: they run inside the command's transaction, so a failure undoes it all.
EVENT_HANDLERS: dict[type[events.Event], list[Callable[..., None]]] = {
    events.OrderCreated: [fh.reserve_for_order],
    events.StockReserved: [mh.mark_stock_reserved],
    events.OrderPaid: [fh.queue_paid_order],
    events.FulfillmentStarted: [mh.mark_picking],
    events.OrderShipped: [mh.mark_shipped],
    events.OrderDelivered: [mh.mark_delivered],
    events.OrderCancelled: [fh.release_for_order],
    events.StockReleased: [mh.cancel_expired_order],
    events.PaymentApprovedLate: [fh.reserve_for_late_payment],
    events.StockRechecked: [payments.settle_late_payment],
}
