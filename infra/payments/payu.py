"""PayU Latam WebCheckout: a signed form the buyer posts to PayU, confirmed by PayU's signed confirmation POST.

Redirect signature (PayU "Integrations → Authentication signature"): MD5, or HMAC-SHA256 with the account's
signature secret, of `ApiKey~merchantId~referenceCode~amount~currency`. Confirmation signature (PayU
"Confirmation URL"): the same algorithm over `ApiKey~merchant_id~reference_sale~new_value~currency~state_pol`,
where new_value keeps one decimal when the second is 0 (150.00 → 150.0) and two otherwise (150.25).
PayU's confirmation carries no signed timestamp, so there is no freshness window to check: a replay is a
duplicate of a notification already recorded (dedup by transaction id and state) and changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

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
from infra.payments.base import form_fields, same_digest, whole_pesos

# state_pol of the confirmation (PayU "Response codes sent to the confirmation URL").
STATE_POL: dict[str, PaymentStatus] = {
    "4": PaymentStatus.APPROVED, "6": PaymentStatus.DECLINED, "5": PaymentStatus.EXPIRED, "7": PaymentStatus.PENDING,
}
# WebCheckout's paymentMethods parameter: which methods the PayU page offers for each of ours.
PAYMENT_METHODS: dict[PaymentMethod, str] = {
    PaymentMethod.CARD: "VISA,MASTERCARD,AMEX,DINERS,CODENSA", PaymentMethod.PSE: "PSE",
    PaymentMethod.EFECTY: "EFECTY",
}


@dataclass(frozen=True)
class PayUConfig:
    merchant_id: str
    account_id: str
    api_key: str
    api_login: str
    checkout_url: str
    api_url: str
    public_base_url: str
    algorithm: str = "md5"  # or "sha256": HMAC-SHA256 keyed with signature_secret
    signature_secret: str = ""
    test: bool = True
    timeout_s: float = 10.0
    link_secret: str = ""  # signs the chat link to our page that posts the form (it holds the buyer's data)


def sign(config: PayUConfig, *parts: str) -> str:
    """PayU's signature of the parts joined by "~" (the ApiKey first)."""
    message = "~".join((config.api_key, *parts)).encode()
    if config.algorithm == "sha256":
        return hmac.new(config.signature_secret.encode(), message, hashlib.sha256).hexdigest()
    return hashlib.md5(message).hexdigest()


def new_value(value: str) -> str:
    """The confirmation's `value` as PayU signs it: one decimal when the second is 0, two otherwise."""
    try:
        amount = Decimal(value.strip()).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    except (InvalidOperation, ValueError) as exc:
        raise InvalidNotification("malformed value") from exc
    text = f"{amount:.2f}"
    return text[:-1] if text.endswith("0") else text


class PayUGateway(PaymentGateway):
    name = "payu"
    methods = frozenset(PAYMENT_METHODS)

    def __init__(self, config: PayUConfig, client: httpx.Client | None = None) -> None:
        self.config = config
        self._client = client or httpx.Client(timeout=config.timeout_s)

    def start(self, request: CheckoutRequest) -> Checkout:
        c = self.config
        amount = str(request.amount_cop)
        base = c.public_base_url.rstrip("/")
        fields = {
            "merchantId": c.merchant_id, "accountId": c.account_id, "description": request.description,
            "referenceCode": request.reference, "amount": amount, "tax": "0", "taxReturnBase": "0",
            "currency": "COP", "signature": sign(c, c.merchant_id, request.reference, amount, "COP"),
            "test": "1" if c.test else "0", "buyerEmail": request.buyer_email, "buyerFullName": request.buyer_name,
            "telephone": request.buyer_phone, "paymentMethods": PAYMENT_METHODS[request.method],
            "responseUrl": f"{base}/v1/payments/payu/return",
            "confirmationUrl": f"{base}/v1/payments/payu/notifications",
        }
        link = f"{base}/v1/payments/{request.reference}/checkout?t={self.page_token(request.reference)}"
        return Checkout(next_step=NextStep.FORM, url=link, form_action=c.checkout_url, form_fields=fields)

    def page_token(self, reference: str) -> str:
        return hmac.new(self.config.link_secret.encode(), f"payu-page:{reference}".encode(),
                        hashlib.sha256).hexdigest()[:32]

    def page_token_valid(self, reference: str, token: str) -> bool:
        return bool(token) and same_digest(self.page_token(reference.strip().upper()), token)

    def verify_notification(self, request: NotificationRequest) -> GatewayNotice:
        data = form_fields(request)
        needed = ("merchant_id", "reference_sale", "value", "currency", "state_pol", "sign", "transaction_id")
        if any(not data.get(name) for name in needed):
            raise InvalidNotification("missing confirmation fields")
        if data["merchant_id"] != self.config.merchant_id:
            raise InvalidNotification("another merchant")
        expected = sign(self.config, data["merchant_id"], data["reference_sale"], new_value(data["value"]),
                        data["currency"], data["state_pol"])
        if not same_digest(expected, data["sign"]):
            raise InvalidNotification("bad signature")
        status = STATE_POL.get(data["state_pol"])
        if status is None:
            raise InvalidNotification(f"unknown state_pol {data['state_pol']}")
        # external_ref keeps PayU's order id beside the transaction id: a refund names both.
        transaction = f"{data.get('reference_pol', '')}/{data['transaction_id']}"
        return GatewayNotice(gateway=self.name, reference=data["reference_sale"], transaction_id=transaction,
                             status=status, amount_cop=whole_pesos(data["value"]), currency=data["currency"],
                             reason=data.get("response_message_pol", ""), raw=data)

    def refund(self, *, transaction_id: str, amount_cop: int, idempotency_key: str) -> RefundResult:
        order_id, _, parent = transaction_id.partition("/")
        body = {
            "language": "es", "command": "SUBMIT_TRANSACTION", "test": self.config.test,
            "merchant": {"apiLogin": self.config.api_login, "apiKey": self.config.api_key},
            "transaction": {"order": {"id": order_id}, "type": "REFUND", "parentTransactionId": parent,
                            "reason": "Pedido sin inventario o cancelado en MeStocker"},
        }
        try:
            response = self._client.post(self.config.api_url, json=body, headers={"Accept": "application/json"})
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise GatewayUnavailable("PayU no respondió a la solicitud de reembolso; lo reintentaremos.") from exc
        tx = data.get("transactionResponse") or {}
        if data.get("code") != "SUCCESS":
            raise GatewayUnavailable(f"PayU rechazó el reembolso: {data.get('error') or 'sin detalle'}.")
        return RefundResult(refund_id=str(tx.get("transactionId") or uuid.uuid4()),
                            approved=tx.get("state") in ("APPROVED", "PENDING"))
