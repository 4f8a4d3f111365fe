"""Payments tests run the real adapters against local fakes of PayU, MercadoPago and Nequi."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.settings import Settings
from tests.conftest import make_settings
from tests.payments import fakes


@pytest.fixture(scope="session")
def fake_payu() -> Iterator[fakes.FakePayU]:
    server = fakes.FakePayU()
    yield server
    server.close()


@pytest.fixture(scope="session")
def fake_mercadopago() -> Iterator[fakes.FakeMercadoPago]:
    server = fakes.FakeMercadoPago()
    yield server
    server.close()


@pytest.fixture(scope="session")
def fake_nequi() -> Iterator[fakes.FakeNequi]:
    server = fakes.FakeNequi()
    yield server
    server.close()


@pytest.fixture
def settings(database_url: str, tmp_path: Path, fake_payu: fakes.FakePayU, fake_mercadopago: fakes.FakeMercadoPago,
             fake_nequi: fakes.FakeNequi) -> Settings:
    """The test settings with every gateway configured against its fake (the sandbox stays on)."""
    fake_nequi.script = ["33", "33", "35"]
    return make_settings(
        tmp_path, database_url, public_base_url="https://tienda.mestocker.test",
        payu_merchant_id=fakes.PAYU_MERCHANT_ID, payu_account_id=fakes.PAYU_ACCOUNT_ID,
        payu_api_key=fakes.PAYU_API_KEY, payu_api_login="pRRXKOl8ikMmt9u",
        payu_checkout_url=f"{fake_payu.url}/ppp-web-gateway-payu/",
        payu_api_url=f"{fake_payu.url}/payments-api/4.0/service.cgi",
        mercadopago_access_token=fakes.MP_TOKEN, mercadopago_webhook_secret=fakes.MP_SECRET,
        mercadopago_api_base_url=fake_mercadopago.url,
        nequi_client_id=fakes.NEQUI_CLIENT_ID, nequi_client_secret=fakes.NEQUI_CLIENT_SECRET,
        nequi_api_key=fakes.NEQUI_API_KEY, nequi_api_base_url=fake_nequi.url,
        nequi_auth_url=f"{fake_nequi.url}/oauth2/token", nequi_callback_secret=fakes.NEQUI_CALLBACK_SECRET,
        nequi_poll_initial_seconds=2, nequi_poll_max_seconds=8, nequi_push_timeout_seconds=300)
