"""Scopes: derived from the role, carried by the JWT, narrowed by `scope=`, kept by refresh, checked per request."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from commerce.identity.principal import ROLE_SCOPES, SERVICE_SCOPES, Principal, Role, Scope, parse_scopes
from commerce.shared.errors import InvalidScope, NotAuthorized
from infra.bootstrap import Platform
from tests.conftest import DEMO_PASSWORD, totp_code
from tests.security.conftest import ADMIN, CAFE_SELLER, LAURA, ROOT, bearer, update_user


def token(client: TestClient, email: str, scope: str | None = None) -> dict:
    data = {"username": email, "password": DEMO_PASSWORD} | ({"scope": scope} if scope is not None else {})
    response = client.post("/v1/auth/token", data=data)
    if response.status_code == 401 and response.json().get("code") == "mfa_required":  # staff: a TOTP code too
        response = client.post("/v1/auth/token", data=data | {"otp": totp_code(client.app.state.platform, email)})
    return response.json()


def test_roles_hold_the_issues_scopes() -> None:
    assert {"inventory:read", "inventory:write", "orders:read", "orders:write", "catalog:write", "reorder:approve",
            "routing_logs:read", "privacy:admin"} <= {str(s) for s in Scope}
    assert ROLE_SCOPES[Role.SUPERUSER] == frozenset(Scope)
    assert Scope.USERS_ADMIN not in ROLE_SCOPES[Role.ADMIN] and Scope.PRIVACY_ADMIN in ROLE_SCOPES[Role.ADMIN]
    seller, buyer = ROLE_SCOPES[Role.CLIENTE], ROLE_SCOPES[Role.COMPRADOR]
    assert Scope.REORDER_APPROVE in seller and Scope.ORDERS_WRITE not in seller
    assert Scope.ORDERS_WRITE in buyer and Scope.INVENTORY_READ not in buyer
    for platform_work in (Scope.FULFILLMENT_WRITE, Scope.ROUTING_LOGS_READ, Scope.PRIVACY_ADMIN, Scope.SELLERS_ADMIN):
        assert platform_work not in seller | buyer
    assert Scope.CHAT not in SERVICE_SCOPES and ROLE_SCOPES[Role.SERVICE] == frozenset()


def test_narrowing_keeps_only_what_is_asked_and_refuses_more() -> None:
    laura = Principal.for_role(user_id=6, email=LAURA, role=Role.COMPRADOR, buyer_id="BUY-001")
    assert laura.narrowed(None) is laura
    assert laura.narrowed({"orders:read"}).scopes == {"orders:read"}
    with pytest.raises(InvalidScope):
        laura.narrowed({"orders:read", "inventory:read"})
    with pytest.raises(InvalidScope):
        parse_scopes("orders:read orders:everything")
    assert parse_scopes("orders:read, catalog:read") == {"orders:read", "catalog:read"}
    with pytest.raises(NotAuthorized):
        laura.narrowed({"orders:read"}).require(Scope.ORDERS_WRITE)


def test_the_token_carries_the_roles_scopes(client: TestClient) -> None:
    pair = token(client, CAFE_SELLER)
    assert set(pair["scopes"]) == {str(s) for s in ROLE_SCOPES[Role.CLIENTE]}
    assert pair["scope"] == " ".join(sorted(pair["scopes"]))


def test_a_narrowed_token_gets_only_the_scopes_asked_for(client: TestClient) -> None:
    pair = token(client, LAURA, "orders:read")
    assert pair["scopes"] == ["orders:read"]
    headers = bearer(pair["access_token"])
    assert client.get("/v1/orders/ORD-1001", headers=headers).status_code == 200
    # orders:write was not asked for: paying and cancelling are refused before the order is looked up.
    assert client.post("/v1/orders/ORD-1001/cancel", json={"reason": "x"}, headers=headers).status_code == 403
    assert client.post("/v1/orders", json={"lines": [{"sku": "CAF-001", "quantity": 1}]},
                       headers=headers).status_code == 403
    assert client.get("/v1/notifications", headers=headers).status_code == 403
    assert client.post("/v1/chat/threads/t/messages", json={"message": "hola"}, headers=headers).status_code == 403


def test_asking_for_a_scope_the_role_lacks_is_400_invalid_scope(client: TestClient) -> None:
    for scope in ("orders:read inventory:write", "routing_logs:read", "no:such"):
        response = client.post("/v1/auth/token", data={"username": LAURA, "password": DEMO_PASSWORD,
                                                        "scope": scope})
        assert response.status_code == 400, response.text
        body = response.json()
        assert body["code"] == "invalid_scope" and "alcance" in body["detail"].lower()
        assert "access_token" not in body


def test_an_admin_can_ask_for_a_read_only_token(client: TestClient) -> None:
    pair = token(client, ADMIN, "routing_logs:read orders:read")
    headers = bearer(pair["access_token"])
    assert client.get("/v1/routing-logs", headers=headers).status_code == 200
    assert client.post("/v1/fulfillment/orders/ORD-1004/picking", headers=headers).status_code == 403
    assert client.post("/v1/privacy/erasure", json={"user_id": 6}, headers=headers).status_code == 403


def test_refresh_keeps_the_narrowed_scopes(client: TestClient) -> None:
    pair = token(client, LAURA, "orders:read catalog:read")
    for _ in range(2):  # across more than one rotation
        pair = client.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}).json()
        assert pair["scopes"] == ["catalog:read", "orders:read"]
    headers = bearer(pair["access_token"])
    assert client.post("/v1/orders/ORD-1001/cancel", json={"reason": "x"}, headers=headers).status_code == 403
    full = client.post("/v1/auth/refresh", json={"refresh_token": token(client, LAURA)["refresh_token"]}).json()
    assert "orders:write" in full["scopes"]


def test_a_token_cannot_claim_more_than_the_account_holds_now(client: TestClient, platform: Platform) -> None:
    """The JWT's scopes are intersected with the account's current role on every request."""
    root = token(client, ROOT)
    headers = bearer(root["access_token"])
    assert client.get("/v1/routing-logs", headers=headers).status_code == 200
    update_user(platform, ROOT, role="comprador")
    assert client.get("/v1/routing-logs", headers=headers).status_code == 403
    refreshed = client.post("/v1/auth/refresh", json={"refresh_token": root["refresh_token"]}).json()
    assert "routing_logs:read" not in refreshed["scopes"]


def test_unsupported_grant_types_are_400(client: TestClient) -> None:
    response = client.post("/v1/auth/token", data={"grant_type": "authorization_code", "username": LAURA,
                                                    "password": DEMO_PASSWORD})
    assert response.status_code == 400 and response.json()["code"] == "unsupported_grant_type"
    assert client.post("/v1/auth/token", data={"username": LAURA}).status_code == 422


def test_me_shows_the_scopes_the_token_holds_now(client: TestClient) -> None:
    me = client.get("/v1/auth/me", headers=bearer(token(client, LAURA, "orders:read")["access_token"])).json()
    assert me == {"kind": "user", "role": "comprador", "email": LAURA, "scopes": ["orders:read"],
                  "seller_id": None, "buyer_id": "BUY-001", "client_id": None}
    assert client.get("/v1/auth/me").status_code == 401
