"""The whole checkout per gateway, through the HTTP API and the real adapters against the local fakes.

order → intent → redirect/form/push → signed notification → paid → picking; declined; PSE pending that
expires at 24 h and releases stock; a late approval after expiry (stock again, or a refund the buyer is
told about); the same notification three times (one effect); a forged one (rejected, nothing changes).
"""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from commerce.fulfillment import commands as fc
from commerce.fulfillment.models import StockLevel
from commerce.identity.principal import SYSTEM
from commerce.marketplace import views as mviews
from commerce.marketplace.models import Payment, PaymentNotification
from commerce.notifications import BuyerNotification
from commerce.shared.clock import utcnow
from commerce.shared.outbox import OutboxMessage
from infra.bootstrap import Platform
from tests.conftest import auth_headers
from tests.payments import fakes

LAURA = "laura.gomez@example.co"


def place(client: TestClient, headers: dict[str, str], sku: str = "CAF-002", quantity: int = 1) -> dict[str, Any]:
    response = client.post("/v1/orders", json={"lines": [{"sku": sku, "quantity": quantity}], "warehouse": "BOG"},
                           headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def pay(client: TestClient, headers: dict[str, str], order_id: str, **body: Any) -> dict[str, Any]:
    response = client.post(f"/v1/orders/{order_id}/payments", json=body, headers=headers)
    assert response.status_code == 201, response.text
    started: dict[str, Any] = response.json()
    return started


def order_status(platform: Platform, order_id: str) -> str:
    with platform.read_uow() as uow:
        return mviews.get_order(uow=uow, principal=SYSTEM, order_id=order_id).status


def events(platform: Platform, order_id: str) -> list[str]:
    with platform.read_uow() as uow:
        return list(uow.session.scalars(select(OutboxMessage.name).where(OutboxMessage.key == order_id)
                                        .order_by(OutboxMessage.seq)))


def state(platform: Platform, order_id: str) -> tuple[Any, ...]:
    """Everything a forged notification must leave alone."""
    with platform.read_uow() as uow:
        s = uow.session
        payments = tuple((p.id, p.status, p.external_ref) for p in s.scalars(
            select(Payment).where(Payment.order_id == order_id).order_by(Payment.id)))
        return (order_status(platform, order_id), payments, len(events(platform, order_id)),
                s.scalar(select(func.count()).select_from(PaymentNotification)),
                s.scalar(select(func.sum(StockLevel.reserved))))


def buyer_texts(platform: Platform, order_id: str) -> list[str]:
    platform.relay.drain()  # the outbox → the in-process notification consumer
    with platform.read_uow() as uow:
        return list(uow.session.scalars(select(BuyerNotification.text).where(BuyerNotification.order_id == order_id)
                                        .order_by(BuyerNotification.id)))


def post_form_notification(client: TestClient, url: str, body: bytes) -> Any:
    path = urlsplit(url).path
    return client.post(path, content=body, headers={"content-type": "application/x-www-form-urlencoded"})


def buyer_goes_to_payu(client: TestClient, fake: fakes.FakePayU, started: dict[str, Any]) -> None:
    """The chat link opens our page, whose form the browser posts to PayU (here: to the fake, which checks it)."""
    link = urlsplit(started["checkout_url"])
    page = client.get(f"{link.path}?{link.query}")
    assert page.status_code == 200 and "document.forms[0].submit()" in page.text
    action = html.unescape(re.search(r'action="([^"]+)"', page.text).group(1))  # type: ignore[union-attr]
    fields = {html.unescape(k): html.unescape(v)
              for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', page.text)}
    import httpx

    assert httpx.post(action, data=fields).status_code == 200  # PayU accepted the signature


# ----- PayU ---------------------------------------------------------------------------------------------------


def test_payu_card_to_picking_and_the_same_confirmation_three_times(
        client: TestClient, platform: Platform, fake_payu: fakes.FakePayU) -> None:
    headers = auth_headers(client, LAURA)
    order = place(client, headers)
    started = pay(client, headers, order["id"], gateway="payu", method="card")
    assert (started["status"], started["next_step"], started["method"]) == ("pending", "form", "card")
    assert started["form_fields"]["paymentMethods"].startswith("VISA")
    assert started["form_fields"]["confirmationUrl"] == "https://tienda.mestocker.test/v1/payments/payu/notifications"
    assert started["checkout_url"] in started["message"]
    buyer_goes_to_payu(client, fake_payu, started)
    assert order_status(platform, order["id"]) == "pending_payment"  # the redirect alone proves nothing

    url, body = fake_payu.confirmation(started["id"], "4")
    results = [post_form_notification(client, url, body) for _ in range(3)]
    assert [r.status_code for r in results] == [200, 200, 200]
    assert [r.json()["result"] for r in results] == ["applied", "duplicate", "duplicate"]
    assert order_status(platform, order["id"]) == "paid"
    assert events(platform, order["id"]).count("payment.success") == 1
    platform.bus.handle(fc.StartPicking(order_id=order["id"]))
    assert order_status(platform, order["id"]) == "picking"
    with platform.read_uow() as uow:
        rows = [(r.outcome, r.raw["state_pol"]) for r in uow.session.scalars(select(PaymentNotification))]
    assert rows == [("applied", "4")]  # kept raw, once
    assert any("Confirmamos el pago" in text for text in buyer_texts(platform, order["id"]))


def test_payu_declined_keeps_the_order_payable_and_a_forged_approval_changes_nothing(
        client: TestClient, platform: Platform, fake_payu: fakes.FakePayU) -> None:
    headers = auth_headers(client, LAURA)
    order = place(client, headers)
    started = pay(client, headers, order["id"], gateway="payu", method="card")
    buyer_goes_to_payu(client, fake_payu, started)
    url, declined = fake_payu.confirmation(started["id"], "6")
    assert post_form_notification(client, url, declined).json()["result"] == "applied"
    assert order_status(platform, order["id"]) == "pending_payment"
    assert events(platform, order["id"])[-1] == "payment.failed"
    before = state(platform, order["id"])
    _, forged = fake_payu.confirmation(started["id"], "4", api_key="guessed-key")
    response = post_form_notification(client, url, forged)
    assert response.status_code == 401 and "rechazada" in response.json()["detail"]
    _, altered = fake_payu.confirmation(started["id"], "4")
    response = post_form_notification(client, url, altered.replace(b"state_pol=4", b"state_pol=6"))
    assert response.status_code == 401
    assert state(platform, order["id"]) == before
    # The buyer retries with another method: a second intent of the same order.
    again = pay(client, headers, order["id"], gateway="payu", method="pse")
    assert again["id"] == f"PAY-{order['id']}-2" and again["form_fields"]["paymentMethods"] == "PSE"


def _pse_pending_then_expired(client: TestClient, platform: Platform, fake_payu: fakes.FakePayU,
                              quantity: int = 1) -> tuple[dict[str, Any], dict[str, Any], str]:
    headers = auth_headers(client, LAURA)
    order = place(client, headers, "CAF-002", quantity)
    started = pay(client, headers, order["id"], gateway="payu", method="pse")
    buyer_goes_to_payu(client, fake_payu, started)
    url, pending = fake_payu.confirmation(started["id"], "7", transaction_id="pse-1")
    assert post_form_notification(client, url, pending).json()["result"] == "stale"  # still pending
    assert order_status(platform, order["id"]) == "pending_payment"
    released = platform.bus.handle(fc.ReleaseExpiredReservations(now=utcnow() + timedelta(hours=24, minutes=1)))
    assert released >= 1
    assert order_status(platform, order["id"]) == "cancelled"
    return order, started, url


def test_pending_pse_expires_at_24_hours_and_releases_its_stock(
        client: TestClient, platform: Platform, fake_payu: fakes.FakePayU) -> None:
    with platform.read_uow() as uow:
        reserved_before = uow.session.get(StockLevel, ("CAF-002", "BOG")).reserved  # type: ignore[union-attr]
    order, started, _ = _pse_pending_then_expired(client, platform, fake_payu)
    with platform.read_uow() as uow:
        assert uow.session.get(StockLevel, ("CAF-002", "BOG")).reserved == reserved_before  # type: ignore[union-attr]
        assert uow.session.get(Payment, started["id"]).status == "expired"  # type: ignore[union-attr]
    assert "stock.released" in events(platform, order["id"])


def test_late_pse_approval_reserves_again_when_stock_exists(
        client: TestClient, platform: Platform, fake_payu: fakes.FakePayU) -> None:
    order, started, url = _pse_pending_then_expired(client, platform, fake_payu)
    _, approved = fake_payu.confirmation(started["id"], "4", transaction_id="pse-1")
    response = post_form_notification(client, url, approved)
    assert response.json()["result"] == "late_approval"
    assert order_status(platform, order["id"]) == "paid"
    assert events(platform, order["id"])[-4:] == ["payment.late_approved", "stock.rechecked", "payment.success",
                                                  "order.paid"]
    platform.bus.handle(fc.StartPicking(order_id=order["id"]))
    assert order_status(platform, order["id"]) == "picking"


def test_late_pse_approval_without_stock_is_refunded_and_the_buyer_told(
        client: TestClient, platform: Platform, fake_payu: fakes.FakePayU) -> None:
    order, started, url = _pse_pending_then_expired(client, platform, fake_payu)
    with platform.read_uow() as uow:
        levels = [(lv.warehouse, lv.available) for lv in
                  uow.session.scalars(select(StockLevel).where(StockLevel.sku == "CAF-002"))]
    for warehouse, available in levels:  # the units were sold meanwhile: nothing left anywhere
        if available:
            platform.bus.handle(fc.AdjustStock(sku="CAF-002", warehouse=warehouse, delta=-available,
                                               reason="vendido mientras tanto"))
    refunds_before = len(fake_payu.calls("service.cgi"))
    _, approved = fake_payu.confirmation(started["id"], "4", transaction_id="pse-1")
    assert post_form_notification(client, url, approved).json()["result"] == "late_approval"
    assert order_status(platform, order["id"]) == "cancelled"
    with platform.read_uow() as uow:
        assert uow.session.get(Payment, started["id"]).status == "refunded"  # type: ignore[union-attr]
    refund = fake_payu.calls("service.cgi")[refunds_before:]
    assert [r["json"]["transaction"]["type"] for r in refund] == ["REFUND"]
    assert refund[0]["json"]["transaction"]["parentTransactionId"] == "pse-1"
    assert any("reembolso" in text for text in buyer_texts(platform, order["id"]))


# ----- MercadoPago --------------------------------------------------------------------------------------------


def mp_notify(client: TestClient, query: str, headers: dict[str, str], body: bytes) -> Any:
    return client.post(f"/v1/payments/mercadopago/notifications?{query}", content=body, headers=headers)


def test_mercadopago_checkout_pro_to_picking_with_replays_forgeries_and_stale_signatures(
        client: TestClient, platform: Platform, fake_mercadopago: fakes.FakeMercadoPago) -> None:
    headers = auth_headers(client, LAURA)
    order = place(client, headers)
    started = pay(client, headers, order["id"], gateway="mercadopago")
    assert started["next_step"] == "redirect" and started["checkout_url"].startswith(fake_mercadopago.url)
    preference = fake_mercadopago.preferences[started["id"]]
    assert preference["external_reference"] == started["id"]
    assert preference["notification_url"] == \
        "https://tienda.mestocker.test/v1/payments/mercadopago/notifications?source_news=webhooks"
    assert preference["items"][0]["unit_price"] == order["total_cop"]

    payment_id = fake_mercadopago.pay(started["id"], "approved")
    query, signed, body = fakes.mp_webhook(payment_id)
    before = state(platform, order["id"])
    _, forged, _ = fakes.mp_webhook(payment_id, secret="guessed")
    _, stale, _ = fakes.mp_webhook(payment_id, ts=int(utcnow().timestamp()) - 3600)
    for bad in (forged, stale):
        assert mp_notify(client, query, bad, body).status_code == 401
    assert state(platform, order["id"]) == before

    results = [mp_notify(client, query, signed, body).json()["result"] for _ in range(3)]
    assert results == ["applied", "duplicate", "duplicate"]
    assert order_status(platform, order["id"]) == "paid"
    assert fake_mercadopago.calls(f"/v1/payments/{payment_id}"), "the payment is re-read from the API"
    platform.bus.handle(fc.StartPicking(order_id=order["id"]))
    assert order_status(platform, order["id"]) == "picking"


def test_mercadopago_trusts_the_api_not_the_notification(
        client: TestClient, platform: Platform, fake_mercadopago: fakes.FakeMercadoPago) -> None:
    """A genuine webhook about a payment the API says was rejected (or for another amount) pays nothing."""
    headers = auth_headers(client, LAURA)
    order = place(client, headers)
    started = pay(client, headers, order["id"], gateway="mercadopago")
    rejected = fake_mercadopago.pay(started["id"], "rejected")
    assert mp_notify(client, *fakes.mp_webhook(rejected)).json()["result"] == "applied"
    cheaper = fake_mercadopago.pay(started["id"], "approved", amount=1000.0)
    assert mp_notify(client, *fakes.mp_webhook(cheaper)).json()["result"] == "amount_mismatch"
    assert order_status(platform, order["id"]) == "pending_payment"
    assert events(platform, order["id"])[-1] == "payment.failed"


# ----- Nequi --------------------------------------------------------------------------------------------------


def test_nequi_push_is_polled_with_backoff_until_approved(
        client: TestClient, platform: Platform, fake_nequi: fakes.FakeNequi) -> None:
    headers = auth_headers(client, LAURA)
    order = place(client, headers)
    started = pay(client, headers, order["id"], gateway="nequi", phone="300 123 4567")
    assert started["next_step"] == "push" and "revisa tu Nequi" in started["message"]
    push = fake_nequi.pushes[started["transaction_id"]]
    assert (push["phoneNumber"], push["value"], push["reference1"]) == ("3001234567", str(order["total_cop"]),
                                                                        started["id"])
    with platform.read_uow() as uow:
        created = uow.session.get(Payment, started["id"]).created_at  # type: ignore[union-attr]
    poller = platform.payment_poller
    polled_at = []
    for second in range(0, 40):
        now = created + timedelta(seconds=second)
        before = push["polls"]
        poller.run_once(now)
        if push["polls"] > before:
            polled_at.append(second)
        if order_status(platform, order["id"]) == "paid":
            break
    assert polled_at == [2, 6, 14]  # 2 s, then 4 s, then 8 s (the maximum) between polls
    assert order_status(platform, order["id"]) == "paid"
    assert poller.run_once(created + timedelta(seconds=60)) == 0  # nothing left to poll


def test_nequi_push_expires_after_the_timeout(client: TestClient, platform: Platform,
                                             fake_nequi: fakes.FakeNequi) -> None:
    fake_nequi.script = ["33"]
    headers = auth_headers(client, LAURA)
    order = place(client, headers)
    started = pay(client, headers, order["id"], gateway="nequi")  # the buyer's phone on file
    with platform.read_uow() as uow:
        created = uow.session.get(Payment, started["id"]).created_at  # type: ignore[union-attr]
    assert platform.payment_poller.run_once(created + timedelta(seconds=301)) == 1
    with platform.read_uow() as uow:
        assert uow.session.get(Payment, started["id"]).status == "expired"  # type: ignore[union-attr]
    assert order_status(platform, order["id"]) == "pending_payment"  # the buyer may try again


def test_nequi_push_rejected_by_the_buyer_is_declined(client: TestClient, platform: Platform,
                                                      fake_nequi: fakes.FakeNequi) -> None:
    fake_nequi.script = ["33", "10-454"]
    headers = auth_headers(client, LAURA)
    order = place(client, headers)
    started = pay(client, headers, order["id"], gateway="nequi")
    with platform.read_uow() as uow:
        created = uow.session.get(Payment, started["id"]).created_at  # type: ignore[union-attr]
    settled = sum(platform.payment_poller.run_once(created + timedelta(seconds=s)) for s in range(0, 20))
    assert settled == 1
    assert order_status(platform, order["id"]) == "pending_payment"
    assert events(platform, order["id"])[-1] == "payment.failed"
    assert any("no fue aprobado" in text for text in buyer_texts(platform, order["id"]))


def test_nequi_callback_is_verified_then_re_read(client: TestClient, platform: Platform,
                                                fake_nequi: fakes.FakeNequi) -> None:
    fake_nequi.script = ["35"]
    headers = auth_headers(client, LAURA)
    order = place(client, headers)
    started = pay(client, headers, order["id"], gateway="nequi")
    before = state(platform, order["id"])
    forged_headers, body = fakes.nequi_callback(started["id"], started["transaction_id"], secret="guessed")
    assert client.post("/v1/payments/nequi/notifications", content=body, headers=forged_headers).status_code == 401
    stale_headers, body = fakes.nequi_callback(started["id"], started["transaction_id"],
                                               ts=int(utcnow().timestamp()) - 3600)
    assert client.post("/v1/payments/nequi/notifications", content=body, headers=stale_headers).status_code == 401
    assert state(platform, order["id"]) == before
    good_headers, body = fakes.nequi_callback(started["id"], started["transaction_id"])
    results = [client.post("/v1/payments/nequi/notifications", content=body, headers=good_headers).json()["result"]
               for _ in range(3)]
    assert results == ["applied", "duplicate", "duplicate"]
    assert order_status(platform, order["id"]) == "paid"


# ----- the sandbox (embedded default) -------------------------------------------------------------------------


def test_sandbox_pays_at_once_and_a_pending_token_waits_for_its_signed_notification(
        client: TestClient, platform: Platform) -> None:
    headers = auth_headers(client, LAURA)
    first = place(client, headers)
    approved = pay(client, headers, first["id"])
    assert (approved["status"], approved["next_step"]) == ("approved", "none")
    assert order_status(platform, first["id"]) == "paid"

    second = place(client, headers)
    key = {"Idempotency-Key": "retry-me", **headers}
    pending = client.post(f"/v1/orders/{second['id']}/payments", json={"payment_token": "tok_pending"}, headers=key)
    retried = client.post(f"/v1/orders/{second['id']}/payments", json={"payment_token": "tok_pending"}, headers=key)
    assert pending.json()["id"] == retried.json()["id"] and pending.json()["status"] == "pending"
    sandbox = platform.gateways.get("sandbox")
    body, signature = sandbox.settle(pending.json()["transaction_id"], "approved")  # type: ignore[attr-defined]
    response = client.post("/v1/payments/sandbox/notifications", content=body,
                           headers={"x-sandbox-signature": signature, "content-type": "application/json"})
    assert response.json()["result"] == "applied"
    assert order_status(platform, second["id"]) == "paid"
    read = client.get(f"/v1/payments/{pending.json()['id']}", headers=headers)
    assert read.status_code == 200 and read.json()["status"] == "approved"
    other = auth_headers(client, "andres.restrepo@example.co")
    # Another buyer's payment answers like a missing one (docs/identity.md).
    assert client.get(f"/v1/payments/{pending.json()['id']}", headers=other).status_code == 404


def test_unknown_gateway_and_method_are_refused_in_spanish(client: TestClient) -> None:
    headers = auth_headers(client, LAURA)
    order = place(client, headers)
    response = client.post(f"/v1/orders/{order['id']}/payments", json={"gateway": "bitcoin"}, headers=headers)
    assert response.status_code == 422 and "no está disponible" in response.json()["detail"]
    response = client.post(f"/v1/orders/{order['id']}/payments", json={"gateway": "payu", "method": "nequi"},
                           headers=headers)
    assert response.status_code == 422 and "Medios disponibles" in response.json()["detail"]
    assert client.post("/v1/payments/bitcoin/notifications", content=b"{}").status_code == 422


def test_production_refuses_the_sandbox() -> None:
    import pytest

    from infra.settings import Settings

    values = {"profile": "production", "database_url": "postgresql://u@h/db", "bus": "kafka",
              "kafka_bootstrap_servers": "k:9092", "chroma_mode": "http", "chroma_url": "http://c:8000",
              "jwt_secret": "x" * 40, "rate_limit_storage_url": "redis://127.0.0.1:6379/0"}
    assert Settings(_env_file=None, **values).sandbox_payments is False  # type: ignore[call-arg, arg-type]
    with pytest.raises(ValueError, match="SANDBOX"):
        Settings(_env_file=None, payments_sandbox=True, **values)  # type: ignore[call-arg, arg-type]
