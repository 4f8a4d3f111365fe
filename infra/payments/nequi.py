"""Nequi Conecta: a push payment to the buyer's phone, confirmed by status polling (and a callback if set).

Start: `unregisteredPayment` (PaymentsService) sends the push; its `transactionId` is polled with
`getStatusPayment` (infra/payments/poller.py: backoff until a final state or the timeout). The callback,
when configured, is only a hint: it must carry our HMAC-SHA256 signature and a fresh timestamp, and then the
status is re-read from Nequi's API — the callback's own body is never trusted.
Endpoints and envelope follow Nequi's published API client (nequibc/nequi-api-client-*): OAuth2 client
credentials, `x-api-key`, and the RequestMessage/ResponseMessage envelope.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from commerce.marketplace.payments import (
    Checkout,
    CheckoutRequest,
    GatewayNotice,
    GatewayUnavailable,
    InvalidNotification,
    NextStep,
    NotificationRequest,
    PaymentGateway,
    PaymentMethod,
    PaymentStatus,
    RefundResult,
)
from infra.payments.base import json_body, require_fresh, same_digest, whole_pesos

PUSH = "/payments/v2/-services-paymentservice-unregisteredpayment"
STATUS = "/payments/v2/-services-paymentservice-getstatuspayment"
REVERSE = "/payments/v2/-services-reverseservices-reversetransaction"
SIGNATURE_HEADER = "x-nequi-signature"  # "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>"
# getStatusPayment's status: 33 waiting for the buyer, 35 paid; 10-454 the buyer rejected it, 10-455 it expired.
NEQUI_STATUS: dict[str, PaymentStatus] = {
    "33": PaymentStatus.PENDING, "35": PaymentStatus.APPROVED, "10-454": PaymentStatus.DECLINED,
    "10-455": PaymentStatus.EXPIRED,
}
SUCCESS = "0"


@dataclass(frozen=True)
class NequiConfig:
    client_id: str
    client_secret: str
    api_key: str
    api_base_url: str
    auth_url: str
    commerce_code: str = "NIT_1"
    callback_secret: str = ""
    window: timedelta = timedelta(minutes=5)
    timeout_s: float = 10.0


class NequiGateway(PaymentGateway):
    name = "nequi"
    methods = frozenset({PaymentMethod.NEQUI})

    def __init__(self, config: NequiConfig, client: httpx.Client | None = None) -> None:
        self.config = config
        self._client = client or httpx.Client(timeout=config.timeout_s)
        self._token: tuple[str, float] | None = None
        self._token_lock = threading.Lock()

    def _bearer(self) -> str:
        with self._token_lock:
            if self._token is None or self._token[1] <= time.monotonic():
                basic = base64.b64encode(f"{self.config.client_id}:{self.config.client_secret}".encode()).decode()
                data = self._send("POST", f"{self.config.auth_url}?grant_type=client_credentials",
                                  headers={"Authorization": f"Basic {basic}",
                                           "Content-Type": "application/x-www-form-urlencoded"})
                expires = float(data.get("expires_in", 300)) - 30
                self._token = (f"{data.get('token_type', 'Bearer')} {data['access_token']}",
                               time.monotonic() + max(expires, 1.0))
            return self._token[0]

    def _service(self, path: str, operation: str, service: str, body_name: str, body: dict[str, Any]) -> Any:
        envelope = {"RequestMessage": {
            "RequestHeader": {
                "Channel": "PNP04-C001", "RequestDate": datetime.now(UTC).isoformat(),
                "MessageID": uuid.uuid4().hex[:10], "ClientID": self.config.client_id,
                "Destination": {"ServiceName": service, "ServiceOperation": operation, "ServiceRegion": "C001",
                                "ServiceVersion": "1.2.0"},
            },
            "RequestBody": {"any": {f"{body_name}RQ": body}},
        }}
        headers = {"Authorization": self._bearer(), "x-api-key": self.config.api_key, "Accept": "application/json"}
        data = self._send("POST", self.config.api_base_url.rstrip("/") + path, headers=headers, json=envelope)
        message = data.get("ResponseMessage") or {}
        status = (message.get("ResponseHeader") or {}).get("Status") or {}
        if str(status.get("StatusCode")) != SUCCESS:
            raise GatewayUnavailable(f"Nequi respondió: {status.get('StatusDesc') or 'error sin detalle'}.")
        return ((message.get("ResponseBody") or {}).get("any") or {}).get(f"{body_name}RS") or {}

    def _send(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._client.request(method, url, **kwargs)
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise GatewayUnavailable("Nequi no respondió; intenta de nuevo en unos minutos.") from exc
        if not isinstance(data, dict):
            raise GatewayUnavailable("Nequi respondió algo inesperado; intenta de nuevo.")
        return data

    def start(self, request: CheckoutRequest) -> Checkout:
        phone = "".join(ch for ch in request.buyer_phone if ch.isdigit())[-10:]
        answer = self._service(PUSH, "unregisteredPayment", "PaymentsService", "unregisteredPayment", {
            "phoneNumber": phone, "code": self.config.commerce_code, "value": str(request.amount_cop),
            "reference1": request.reference, "reference2": request.order_id, "reference3": "MeStocker"})
        transaction_id = str(answer.get("transactionId") or "").strip()
        if not transaction_id:
            raise GatewayUnavailable("Nequi no devolvió el número de la transacción; intenta de nuevo.")
        return Checkout(next_step=NextStep.PUSH, transaction_id=transaction_id)

    def poll(self, *, reference: str, transaction_id: str) -> GatewayNotice | None:
        answer = self._service(STATUS, "getStatusPayment", "PaymentsService", "getStatusPayment",
                               {"codeQR": transaction_id})
        status = NEQUI_STATUS.get(str(answer.get("status", "")))
        if status is None or answer.get("value") in (None, ""):
            return None
        return GatewayNotice(gateway=self.name, reference=reference, transaction_id=transaction_id, status=status,
                             amount_cop=whole_pesos(answer["value"]), raw={"status": answer})

    def verify_notification(self, request: NotificationRequest) -> GatewayNotice:
        if not self.config.callback_secret:
            raise InvalidNotification("callback not configured")
        parts = dict(p.strip().split("=", 1) for p in request.headers.get(SIGNATURE_HEADER, "").split(",") if "=" in p)
        try:
            ts, digest = int(parts["t"]), parts["v1"]
        except (KeyError, ValueError) as exc:
            raise InvalidNotification("missing or malformed signature header") from exc
        expected = hmac.new(self.config.callback_secret.encode(), f"{ts}.".encode() + request.body,
                            hashlib.sha256).hexdigest()
        if not same_digest(expected, digest):
            raise InvalidNotification("bad signature")
        require_fresh(datetime.fromtimestamp(ts, UTC), request, self.config.window)
        data = json_body(request)
        reference, transaction_id = str(data.get("reference1") or ""), str(data.get("transactionId") or "")
        if not reference or not transaction_id:
            raise InvalidNotification("callback without reference1 and transactionId")
        notice = self.poll(reference=reference, transaction_id=transaction_id)
        if notice is None:
            raise InvalidNotification("Nequi does not know the transaction")
        return GatewayNotice(gateway=notice.gateway, reference=notice.reference, transaction_id=notice.transaction_id,
                             status=notice.status, amount_cop=notice.amount_cop,
                             raw={"callback": data, **notice.raw})

    def refund(self, *, transaction_id: str, amount_cop: int, idempotency_key: str) -> RefundResult:
        self._service(REVERSE, "reverseTransaction", "ReverseServices", "reversion", {
            "phoneNumber": "", "value": str(amount_cop), "code": self.config.commerce_code,
            "messageId": transaction_id, "type": "payment"})
        return RefundResult(refund_id=f"NEQUI-RV-{transaction_id}", approved=True)
