"""JWT handling: only HS256 with our secret and issuer, unexpired, for a user that is still active."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from infra.bootstrap import Platform
from tests.conftest import auth_headers
from tests.security.conftest import ADMIN, CAFE_SELLER, LAURA, assert_no_leak, bearer, mint, update_user


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _unsigned(claims: dict) -> str:
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."


def _get(client: TestClient, token: str) -> int:
    response = client.get("/v1/orders", headers=bearer(token))
    assert_no_leak(response.text)
    return response.status_code


def test_a_minted_token_with_the_real_secret_works(client: TestClient) -> None:
    assert _get(client, mint(client)) == 200


def test_alg_none_is_refused(client: TestClient) -> None:
    claims = {"iss": "mestocker", "sub": "2", "role": "admin", "exp": 4_102_444_800}
    assert _get(client, _unsigned(claims)) == 401
    assert _get(client, _unsigned(claims)[:-1]) == 401


def test_expired_tokens_are_refused_with_a_spanish_hint(client: TestClient) -> None:
    response = client.get("/v1/orders", headers=bearer(mint(client, expires_in=timedelta(seconds=-5))))
    assert response.status_code == 401 and "expir" in response.json()["detail"]


@pytest.mark.parametrize("claims", [
    {"iss": "someone-else"}, {"iss": ...}, {"exp": ...}, {"sub": ...}, {"role": ...},
    {"role": "god"}, {"sub": "not-a-number"},
])
def test_malformed_claims_are_refused(client: TestClient, claims: dict) -> None:
    assert _get(client, mint(client, **claims)) == 401


def test_another_secret_or_algorithm_is_refused(client: TestClient) -> None:
    assert _get(client, mint(client, secret="a-guessed-secret-that-is-long-enough-for-hs256")) == 401
    assert _get(client, mint(client, algorithm="HS512")) == 401


def test_a_tampered_payload_is_refused(client: TestClient) -> None:
    token = auth_headers(client, LAURA)["Authorization"].removeprefix("Bearer ")
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(role="admin", scopes=["users:admin"])
    assert _get(client, f"{header}.{_b64(claims)}.{signature}") == 401


def test_a_deactivated_users_token_stops_working(client: TestClient, platform: Platform) -> None:
    laura = auth_headers(client, LAURA)
    assert client.get("/v1/orders", headers=laura).status_code == 200
    update_user(platform, LAURA, active=False)
    response = client.get("/v1/orders", headers=laura)
    assert response.status_code == 401
    assert client.get("/v1/notifications/stream", headers=laura).status_code == 401
    assert client.post("/v1/auth/token", data={"username": LAURA, "password": "mestocker-demo"}).status_code == 401


def test_a_demoted_users_token_carries_the_current_role(client: TestClient, platform: Platform) -> None:
    admin = auth_headers(client, ADMIN)
    assert client.get("/v1/routing-logs", headers=admin).status_code == 200
    update_user(platform, ADMIN, role="cliente", seller_id="SEL-CAFE")
    assert client.get("/v1/routing-logs", headers=admin).status_code == 403
    assert {o["id"] for o in client.get("/v1/orders", headers=admin).json()} == {"ORD-1001", "ORD-1005"}


def test_a_token_for_a_user_that_does_not_exist_is_refused(client: TestClient) -> None:
    assert _get(client, mint(client, sub="999999", role="superuser")) == 401


def test_the_database_not_the_token_decides_the_seller(client: TestClient) -> None:
    # A signed token (e.g. issued before the user moved to another seller) claiming SEL-TECH for the
    # SEL-CAFE user: the current user record wins.
    token = mint(client, sub="3", email=CAFE_SELLER, role="cliente", seller_id="SEL-TECH", buyer_id=None,
                 scopes=["inventory:read"])
    assert client.get("/v1/inventory/TEC-550", headers=bearer(token)).status_code == 403
    assert client.get("/v1/inventory/CAF-001", headers=bearer(token)).status_code == 200
