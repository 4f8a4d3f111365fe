"""The gateways' documented signature examples, and our verifiers refusing forged, stale and odd input.

Sources, written here so a reader can check them:
- PayU Latam developers, "Integrations → How to get variables for integration → Authentication signature":
  ApiKey 4Vj8eK4rloUd272L48hsrarnUA, merchantId 508029, referenceCode TestPayU, tx_value 3, currency USD →
  "4Vj8eK4rloUd272L48hsrarnUA~508029~TestPayU~3~USD", MD5 ba9ffa71559580175585e45ce70b6c37.
- PayU Latam developers, "WebCheckout → Confirmation URL → Signature examples" (HMAC-SHA256, secret key
  test123): reference_sale PayUTest01, value 150.00 → new_value 150.0 →
  "4Vj8eK4rloUd272L48hsrarnUA~508029~PayUTest01~150.0~USD~4", sign 65fb2b34…cfb66f; value 150.25 →
  "…~150.25~USD~4", sign 7770a793…6b8024.
- Mercado Pago developers, "Checkout Pro → Configurar notificaciones de pago → Validar origen": the template
  `id:[data.id_url];request-id:[x-request-id_header];ts:[ts_header];`, HMAC-SHA256 with the application's
  secret, hex; a value absent from the notification is left out of the template. The docs give no digest,
  so the digest below is computed by the same formula and checked through the official SDK's validator.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from commerce.marketplace.payments import InvalidNotification, NotificationRequest, PaymentStatus
from infra.payments.mercadopago import MercadoPagoConfig, MercadoPagoGateway
from infra.payments.payu import PayUConfig, PayUGateway, new_value, sign
from infra.payments.sandbox import SIGNATURE_HEADER, SandboxGateway

DOC_API_KEY = "4Vj8eK4rloUd272L48hsrarnUA"


def payu(algorithm: str = "md5", secret: str = "") -> PayUConfig:
    return PayUConfig(merchant_id="508029", account_id="512321", api_key=DOC_API_KEY, api_login="x",
                      checkout_url="https://payu.invalid/", api_url="https://payu.invalid/api",
                      public_base_url="https://tienda.test", algorithm=algorithm, signature_secret=secret)


def test_payu_redirect_signature_matches_the_documented_md5_example() -> None:
    assert sign(payu(), "508029", "TestPayU", "3", "USD") == "ba9ffa71559580175585e45ce70b6c37"


@pytest.mark.parametrize(("value", "formatted", "expected"), [
    ("150.00", "150.0", "65fb2b3452572784e23e7d6480359fd2507c54dd285ca3c4dceffb8764cfb66f"),
    ("150.25", "150.25", "7770a7933b90570a078fcacce1790eb13079cdf8f8a6e900b79f4f5eb96b8024"),
])
def test_payu_confirmation_signature_matches_the_documented_hmac_sha256_examples(
        value: str, formatted: str, expected: str) -> None:
    assert new_value(value) == formatted
    assert sign(payu("sha256", "test123"), "508029", "PayUTest01", new_value(value), "USD", "4") == expected


@pytest.mark.parametrize(("value", "formatted"), [
    ("150000.00", "150000.0"), ("150000", "150000.0"), ("150.20", "150.2"), ("99.99", "99.99"), ("0.50", "0.5")])
def test_payu_new_value_keeps_one_decimal_when_the_second_is_zero(value: str, formatted: str) -> None:
    assert new_value(value) == formatted


def _payu_confirmation(state: str = "4", value: str = "38900.00", *, key: str = DOC_API_KEY,
                       merchant: str = "508029") -> NotificationRequest:
    from urllib.parse import urlencode

    signature = hashlib.md5(f"{key}~{merchant}~PAY-ORD-1006-1~{new_value(value)}~COP~{state}".encode()).hexdigest()
    body = urlencode({"merchant_id": merchant, "reference_sale": "PAY-ORD-1006-1", "value": value, "currency": "COP",
                      "state_pol": state, "sign": signature, "transaction_id": "f5e668f1", "reference_pol": "7069375"})
    return NotificationRequest(headers={}, query={}, body=body.encode(), received_at=datetime.now(UTC))


@pytest.mark.parametrize(("state", "status"), [("4", PaymentStatus.APPROVED), ("6", PaymentStatus.DECLINED),
                                               ("5", PaymentStatus.EXPIRED), ("7", PaymentStatus.PENDING)])
def test_payu_confirmation_states_map_to_the_intent_states(state: str, status: PaymentStatus) -> None:
    notice = PayUGateway(payu()).verify_notification(_payu_confirmation(state))
    assert (notice.status, notice.amount_cop, notice.reference) == (status, 38900, "PAY-ORD-1006-1")
    assert notice.transaction_id == "7069375/f5e668f1"


@pytest.mark.parametrize("forged", [
    _payu_confirmation(key="not-the-api-key"),
    _payu_confirmation(merchant="999999"),
    _payu_confirmation(value="38900.50"),  # a fraction of a peso: not an amount we ever asked for
])
def test_payu_refuses_forged_or_odd_confirmations(forged: NotificationRequest) -> None:
    with pytest.raises(InvalidNotification):
        PayUGateway(payu()).verify_notification(forged)


def test_payu_refuses_a_confirmation_whose_value_was_changed_after_signing() -> None:
    genuine = _payu_confirmation()
    tampered = NotificationRequest(headers={}, query={}, body=genuine.body.replace(b"38900.00", b"389.00"),
                                   received_at=genuine.received_at)
    with pytest.raises(InvalidNotification, match="bad signature"):
        PayUGateway(payu()).verify_notification(tampered)


def test_mercadopago_manifest_leaves_absent_parts_out() -> None:
    """The SDK's validator and the documented template agree, with and without x-request-id."""
    from mercadopago.webhook.validator import InvalidWebhookSignatureError, WebhookSignatureValidator

    secret, ts = "your-secret", "1742505638"
    full = hmac.new(secret.encode(), f"id:123456;request-id:bb56a2f1;ts:{ts};".encode(), hashlib.sha256).hexdigest()
    no_request = hmac.new(secret.encode(), f"id:123456;ts:{ts};".encode(), hashlib.sha256).hexdigest()
    WebhookSignatureValidator.validate(f"ts={ts},v1={full}", "bb56a2f1", "123456", secret)
    WebhookSignatureValidator.validate(f"ts={ts},v1={no_request}", None, "123456", secret)
    with pytest.raises(InvalidWebhookSignatureError):
        WebhookSignatureValidator.validate(f"ts={ts},v1={full}", None, "123456", secret)


def test_mercadopago_refuses_forged_and_stale_signatures_before_calling_the_api() -> None:
    gateway = MercadoPagoGateway(MercadoPagoConfig(access_token="t", webhook_secret="s", public_base_url="https://x",
                                                   api_base_url="http://127.0.0.1:9", window=timedelta(minutes=5)))
    now = datetime.now(UTC)
    ts = int(now.timestamp())

    def request(secret: str, at: int) -> NotificationRequest:
        v1 = hmac.new(secret.encode(), f"id:42;request-id:r1;ts:{at};".encode(), hashlib.sha256).hexdigest()
        return NotificationRequest(headers={"x-signature": f"ts={at},v1={v1}", "x-request-id": "r1"},
                                   query={"data.id": "42", "type": "payment"}, body=b"{}", received_at=now)

    for bad, reason in ((request("forged", ts), "SignatureMismatch"),
                        (request("s", ts - 3600), "TimestampOutOfTolerance")):
        with pytest.raises(InvalidNotification, match=reason):
            gateway.verify_notification(bad)


def test_sandbox_signature_window_and_persistence(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from commerce.marketplace.payments import CheckoutRequest, PaymentMethod

    ledger = tmp_path / "sandbox.sqlite"
    request = CheckoutRequest(reference="PAY-ORD-1-1", order_id="ORD-1", amount_cop=1000, method=PaymentMethod.SANDBOX,
                              description="d", buyer_email="", buyer_phone="", buyer_name="", token="tok_pending",
                              idempotency_key="PAY-ORD-1-1")
    first = SandboxGateway(ledger, secret="s").start(request)
    # A new process (a restart) answers the same key with the same transaction, even with another token.
    again = SandboxGateway(ledger, secret="s").start(CheckoutRequest(**{**request.__dict__, "token": "tok_approved"}))
    assert (again.transaction_id, again.status) == (first.transaction_id, PaymentStatus.PENDING)
    sandbox = SandboxGateway(ledger, secret="s")
    assert first.transaction_id is not None
    body, signature = sandbox.settle(first.transaction_id, PaymentStatus.APPROVED)
    now = datetime.now(UTC)
    ok = sandbox.verify_notification(NotificationRequest({SIGNATURE_HEADER: signature}, {}, body, now))
    assert (ok.status, ok.amount_cop) == (PaymentStatus.APPROVED, 1000)
    with pytest.raises(InvalidNotification, match="stale"):
        sandbox.verify_notification(NotificationRequest({SIGNATURE_HEADER: signature}, {}, body,
                                                        now + timedelta(hours=1)))
    with pytest.raises(InvalidNotification, match="bad signature"):
        SandboxGateway(ledger, secret="other").verify_notification(
            NotificationRequest({SIGNATURE_HEADER: signature}, {}, body, now))
    assert sandbox.refund(transaction_id=first.transaction_id, amount_cop=1000, idempotency_key="r") == \
        SandboxGateway(ledger, secret="s").refund(transaction_id=first.transaction_id, amount_cop=1000,
                                                   idempotency_key="r")
    assert sandbox.refunds() == [(first.transaction_id, 1000)]
