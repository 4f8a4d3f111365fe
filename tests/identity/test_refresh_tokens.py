"""Refresh tokens over HTTP: rotation, single use, reuse revokes the family, logout, expiry."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select, update

from commerce.identity.sessions import RefreshToken, RotateRefreshToken, Rotation, digest
from commerce.shared.clock import utcnow
from infra import migrate
from infra.bootstrap import Platform
from tests.conftest import DEMO_PASSWORD
from tests.security.conftest import ANDRES, BOTH_BACKENDS, LAURA, bearer, update_user


def login(client: TestClient, email: str = LAURA) -> dict:
    response = client.post("/v1/auth/token", data={"username": email, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()


def refresh(client: TestClient, token: str) -> httpx.Response:
    return client.post("/v1/auth/refresh", json={"refresh_token": token})


def test_login_returns_a_short_lived_access_token_and_a_refresh_token(client: TestClient,
                                                                      platform: Platform) -> None:
    pair = login(client)
    assert pair["expires_in"] == platform.settings.jwt_ttl_minutes * 60 == 15 * 60
    assert pair["refresh_token"] and pair["refresh_expires_in"] > pair["expires_in"]
    with platform.session_factory() as session:
        stored = session.scalars(select(RefreshToken.token_hash)).all()
    # Only the digest is stored, never the token.
    assert digest(pair["refresh_token"]) in stored and pair["refresh_token"] not in stored


@BOTH_BACKENDS
def test_refresh_rotates_and_each_token_works_once(client: TestClient) -> None:
    first = login(client)
    second = refresh(client, first["refresh_token"])
    assert second.status_code == 200
    pair = second.json()
    assert pair["refresh_token"] != first["refresh_token"] and pair["role"] == "comprador"
    assert client.get("/v1/orders", headers=bearer(pair["access_token"])).status_code == 200
    third = refresh(client, pair["refresh_token"])
    assert third.status_code == 200 and third.json()["refresh_token"] not in {first["refresh_token"],
                                                                             pair["refresh_token"]}


@BOTH_BACKENDS
def test_reusing_a_spent_token_revokes_the_whole_family(client: TestClient) -> None:
    stolen = login(client)["refresh_token"]
    current = refresh(client, stolen).json()["refresh_token"]  # the legitimate client rotates
    reuse = refresh(client, stolen)  # someone replays the spent token
    assert reuse.status_code == 401 and "ya se había usado" in reuse.json()["detail"]
    assert reuse.headers["WWW-Authenticate"] == "Bearer"
    # The family is gone: the newest token, which nobody used yet, no longer works either.
    after = refresh(client, current)
    assert after.status_code == 401 and after.json()["detail"] == "Esta sesión se cerró: inicia sesión de nuevo."


def test_reuse_revokes_only_that_family(client: TestClient) -> None:
    laptop, phone = login(client)["refresh_token"], login(client)["refresh_token"]
    refresh(client, laptop)
    assert refresh(client, laptop).status_code == 401
    assert refresh(client, phone).status_code == 200


def test_logout_revokes_the_family(client: TestClient) -> None:
    first = login(client)["refresh_token"]
    current = refresh(client, first).json()["refresh_token"]
    assert client.post("/v1/auth/logout", json={"refresh_token": current}).status_code == 204
    response = refresh(client, current)
    assert response.status_code == 401 and "sesión se cerró" in response.json()["detail"]
    # Logging out twice, or with a token nobody issued, answers the same and reveals nothing.
    assert client.post("/v1/auth/logout", json={"refresh_token": current}).status_code == 204
    assert client.post("/v1/auth/logout", json={"refresh_token": "no-existe"}).status_code == 204
    assert refresh(client, login(client, ANDRES)["refresh_token"]).status_code == 200  # others unaffected


def test_an_expired_refresh_token_is_refused_in_spanish(client: TestClient, platform: Platform) -> None:
    token = login(client)["refresh_token"]
    with platform.session_factory() as session:
        session.execute(update(RefreshToken).where(RefreshToken.token_hash == digest(token))
                        .values(expires_at=utcnow() - timedelta(seconds=1)))
        session.commit()
    response = refresh(client, token)
    assert response.status_code == 401 and response.json()["detail"] == "Tu sesión expiró: inicia sesión de nuevo."


@pytest.mark.parametrize("token", ["x" * 43, "", "y" * 201])
def test_unknown_or_malformed_refresh_tokens_are_refused(client: TestClient, token: str) -> None:
    response = refresh(client, token)
    if token and len(token) <= 200:
        assert response.status_code == 401
        assert response.json()["detail"] == "Token de renovación inválido: inicia sesión de nuevo."
    else:
        assert response.status_code == 422


def test_a_deactivated_user_cannot_refresh(client: TestClient, platform: Platform) -> None:
    token = login(client)["refresh_token"]
    update_user(platform, LAURA, active=False)
    assert refresh(client, token).status_code == 401
    update_user(platform, LAURA, active=True)
    assert refresh(client, token).status_code == 401  # the family was revoked, not just paused


def test_an_access_token_is_not_a_refresh_token(client: TestClient) -> None:
    assert refresh(client, login(client)["access_token"][:200]).status_code == 401


@BOTH_BACKENDS
def test_0010_downgrades_upgrades_and_matches_the_model(platform: Platform) -> None:
    migrate.downgrade(platform.engine, "0009")
    assert not inspect(platform.engine).has_table("refresh_tokens")
    migrate.upgrade(platform.engine)
    assert inspect(platform.engine).has_table("refresh_tokens")
    with platform.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), migrate.target_metadata())
    assert [d for d in diff if "refresh_tokens" in str(d)] == []


@BOTH_BACKENDS
def test_two_concurrent_refreshes_with_one_token_cannot_both_win(client: TestClient, platform: Platform) -> None:
    token = login(client)["refresh_token"]
    barrier = threading.Barrier(4)

    def spend() -> Rotation:
        barrier.wait()
        outcome: Rotation = platform.bus.handle(RotateRefreshToken(token=token, ttl_minutes=5))
        return outcome

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(lambda _: spend(), range(4)))
    winners = [o for o in outcomes if o.issued is not None]
    assert len(winners) <= 1 and all(o.refusal for o in outcomes if o.issued is None)
    # Someone replayed the token, so the family is revoked: even a winner's new token is dead.
    assert all(refresh(client, w.issued.token).status_code == 401 for w in winners if w.issued)
