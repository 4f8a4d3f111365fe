"""Builds the configured gateways from the settings (the composition root asks for them here)."""

from __future__ import annotations

from datetime import timedelta
from hashlib import sha256

from commerce.marketplace.payments import Gateways, PaymentGateway
from infra.payments.mercadopago import MercadoPagoConfig, MercadoPagoGateway
from infra.payments.nequi import NequiConfig, NequiGateway
from infra.payments.payu import PayUConfig, PayUGateway
from infra.payments.sandbox import SandboxGateway
from infra.settings import Settings, signing_secret


def sandbox_gateway(settings: Settings) -> SandboxGateway:
    secret = settings.payments_sandbox_secret or sha256(f"sandbox:{signing_secret(settings)}".encode()).hexdigest()
    return SandboxGateway(settings.data_dir / "sandbox-gateway.sqlite", secret=secret,
                          window=timedelta(seconds=settings.payments_notification_window_seconds))


def build_gateways(settings: Settings) -> Gateways:
    """Every gateway whose credentials are set, plus the sandbox when the profile allows it."""
    s = settings
    window = timedelta(seconds=s.payments_notification_window_seconds)
    found: list[PaymentGateway] = []
    if s.payu_merchant_id and s.payu_api_key:
        found.append(PayUGateway(PayUConfig(
            merchant_id=s.payu_merchant_id, account_id=s.payu_account_id, api_key=s.payu_api_key,
            api_login=s.payu_api_login, checkout_url=s.payu_checkout_url, api_url=s.payu_api_url,
            public_base_url=s.public_base_url, algorithm=s.payu_signature_algorithm,
            signature_secret=s.payu_signature_secret, test=s.payu_test, timeout_s=s.payments_http_timeout_seconds,
            link_secret=sha256(f"payu-page:{signing_secret(s)}".encode()).hexdigest())))
    if s.mercadopago_access_token and s.mercadopago_webhook_secret:
        found.append(MercadoPagoGateway(MercadoPagoConfig(
            access_token=s.mercadopago_access_token, webhook_secret=s.mercadopago_webhook_secret,
            public_base_url=s.public_base_url, api_base_url=s.mercadopago_api_base_url, window=window,
            timeout_s=s.payments_http_timeout_seconds)))
    if s.nequi_client_id and s.nequi_client_secret and s.nequi_api_key:
        found.append(NequiGateway(NequiConfig(
            client_id=s.nequi_client_id, client_secret=s.nequi_client_secret, api_key=s.nequi_api_key,
            api_base_url=s.nequi_api_base_url, auth_url=s.nequi_auth_url, commerce_code=s.nequi_commerce_code,
            callback_secret=s.nequi_callback_secret, window=window, timeout_s=s.payments_http_timeout_seconds)))
    sandbox = sandbox_gateway(s) if s.sandbox_payments else None
    if sandbox is not None:
        found.append(sandbox)
    return Gateways(found, fallback=sandbox)
