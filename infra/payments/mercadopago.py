"""MercadoPago Checkout Pro through the official `mercadopago` SDK.

Start: a preference with `external_reference` (our intent id) and `notification_url`; the buyer opens its
`init_point`. Notification: `x-signature: ts=…,v1=…` where v1 is the hex HMAC-SHA256 (the webhook secret)
of `id:<data.id>;request-id:<x-request-id>;ts:<ts>;` with absent parts left out — checked by the SDK's
`WebhookSignatureValidator` with our freshness window — and then the payment is re-read from the API:
only what the API says is trusted (status, amount, currency, external_reference).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import mercadopago
from mercadopago.config import RequestOptions
from mercadopago.http import HttpClient
from mercadopago.webhook.validator import InvalidWebhookSignatureError, WebhookSignatureValidator

from commerce.marketplace.payments import (
    Checkout,
    CheckoutRequest,
    GatewayNotice,
    GatewayUnavailable,
    IgnoredNotification,
    InvalidNotification,
    NextStep,
    NotificationRequest,
    PaymentGateway,
    PaymentMethod,
    PaymentStatus,
    RefundResult,
)
from infra.payments.base import json_body, whole_pesos

SDK_BASE_URL = "https://api.mercadopago.com"  # what the SDK calls; RebasedHttpClient points it elsewhere
# payment.status (MercadoPago "Payment status"): in_process/authorized wait, cancelled means it expired.
STATUS: dict[str, PaymentStatus] = {
    "approved": PaymentStatus.APPROVED, "pending": PaymentStatus.PENDING, "in_process": PaymentStatus.PENDING,
    "authorized": PaymentStatus.PENDING, "in_mediation": PaymentStatus.PENDING,
    "rejected": PaymentStatus.DECLINED, "cancelled": PaymentStatus.EXPIRED,
    "refunded": PaymentStatus.REFUNDED, "charged_back": PaymentStatus.REFUNDED,
}


@dataclass(frozen=True)
class MercadoPagoConfig:
    access_token: str
    webhook_secret: str
    public_base_url: str
    api_base_url: str = SDK_BASE_URL
    window: timedelta = timedelta(minutes=5)
    timeout_s: float = 10.0


class RebasedHttpClient(HttpClient):  # type: ignore[misc]
    """The SDK's own HTTP client with its fixed API root swapped for a configured one (a local fake, a proxy)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, maxretries: Any = None, retry_on: Any = None,
                backoff_factor: Any = None, **kwargs: Any) -> Any:
        if url.startswith(SDK_BASE_URL):
            url = self.base_url + url[len(SDK_BASE_URL):]
        return super().request(method, url, maxretries=maxretries, retry_on=retry_on,
                               backoff_factor=backoff_factor, **kwargs)


class MercadoPagoGateway(PaymentGateway):
    name = "mercadopago"
    methods = frozenset({PaymentMethod.CHECKOUT})

    def __init__(self, config: MercadoPagoConfig) -> None:
        self.config = config
        client = RebasedHttpClient(config.api_base_url) if config.api_base_url != SDK_BASE_URL else None
        self.sdk = mercadopago.SDK(config.access_token, http_client=client)

    def _options(self, idempotency_key: str) -> RequestOptions:
        return RequestOptions(connection_timeout=self.config.timeout_s, max_retries=1,
                              custom_headers={"x-idempotency-key": idempotency_key})

    def start(self, request: CheckoutRequest) -> Checkout:
        base = self.config.public_base_url.rstrip("/")
        preference = {
            "items": [{"id": request.order_id, "title": request.description, "quantity": 1, "currency_id": "COP",
                       "unit_price": request.amount_cop}],
            "external_reference": request.reference,
            # source_news=webhooks: MercadoPago sends only signed Webhooks there, not the legacy IPN.
            "notification_url": f"{base}/v1/payments/mercadopago/notifications?source_news=webhooks",
            "back_urls": {outcome: f"{base}/v1/payments/mercadopago/return?outcome={outcome}"
                          for outcome in ("success", "pending", "failure")},
            "payer": {"email": request.buyer_email, "name": request.buyer_name},
            "statement_descriptor": "MESTOCKER",
        }
        with warnings.catch_warnings():
            # SDK 3.6 nudges towards webhooks configured in the panel; a per-preference notification_url is what
            # lets one application serve several deployments (docs/payments.md), and it is signed the same way.
            warnings.filterwarnings("ignore", message="notification_url is deprecated", category=DeprecationWarning)
            answer = self._call(lambda: self.sdk.preference().create(preference, self._options(request.reference)))
        url = str(answer.get("init_point") or "")
        if not url:
            raise GatewayUnavailable("Mercado Pago no devolvió el enlace de pago; intenta de nuevo.")
        return Checkout(next_step=NextStep.REDIRECT, url=url)

    def verify_notification(self, request: NotificationRequest) -> GatewayNotice:
        data_id = request.query.get("data.id") or str((json_body(request).get("data") or {}).get("id") or "")
        kind = request.query.get("type") or str(json_body(request).get("type") or "")
        try:
            WebhookSignatureValidator.validate(
                request.headers.get("x-signature"), request.headers.get("x-request-id"), data_id or None,
                self.config.webhook_secret, tolerance_seconds=self.config.window.total_seconds(),
                now=lambda: int(request.received_at.timestamp() * 1000))
        except InvalidWebhookSignatureError as exc:
            raise InvalidNotification(exc.reason.value) from exc
        if kind != "payment" or not data_id:
            raise IgnoredNotification(f"not a payment notification ({kind or 'sin tipo'})")
        payment = self._call(lambda: self.sdk.payment().get(data_id))
        status = STATUS.get(str(payment.get("status")))
        if status is None or not payment.get("external_reference"):
            raise InvalidNotification("payment without a known status or our reference")
        return GatewayNotice(gateway=self.name, reference=str(payment["external_reference"]),
                             transaction_id=str(payment["id"]), status=status,
                             amount_cop=whole_pesos(payment.get("transaction_amount")),
                             currency=str(payment.get("currency_id") or ""),
                             reason=str(payment.get("status_detail") or ""),
                             raw={"notification": json_body(request), "payment": payment})

    def refund(self, *, transaction_id: str, amount_cop: int, idempotency_key: str) -> RefundResult:
        answer = self._call(lambda: self.sdk.refund().create(transaction_id, {"amount": amount_cop},
                                                             self._options(idempotency_key)))
        return RefundResult(refund_id=str(answer.get("id", "")), approved=answer.get("status") == "approved")

    def _call(self, call: Any) -> dict[str, Any]:
        try:
            result = call()
        except Exception as exc:  # the SDK raises requests' and its own errors
            raise GatewayUnavailable("Mercado Pago no respondió; intenta de nuevo en unos minutos.") from exc
        if not 200 <= int(result.get("status", 0)) < 300 or not isinstance(result.get("response"), dict):
            raise GatewayUnavailable(f"Mercado Pago respondió {result.get('status')}; intenta de nuevo.")
        response: dict[str, Any] = result["response"]
        return response
