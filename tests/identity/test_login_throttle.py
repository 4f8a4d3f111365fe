"""Login lockout: failures counted per account and per IP, 429 + Retry-After, reset on success."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from infra.bootstrap import bootstrap, build_login_throttle
from infra.settings import SettingsError
from tests.conftest import DEMO_PASSWORD, make_settings
from tests.security.conftest import ANDRES, LAURA

SECONDS = re.compile(r"\d+")


def attempt(client: TestClient, email: str, password: str) -> httpx.Response:
    return client.post("/v1/auth/token", data={"username": email, "password": password})


@pytest.fixture
def tiny_client(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    """A client whose login windows are a second or so (an indirect parameter overrides them)."""
    values = {"login_limits_per_account": "3/2 second", "login_limits_per_ip": "1000/minute"}
    values.update(getattr(request, "param", {}))
    platform = bootstrap(make_settings(tmp_path, database_url, **values))
    try:
        with TestClient(create_app(platform, background_worker=False)) as client:
            yield client
    finally:
        platform.close()


def test_200_wrong_passwords_are_locked_out_and_the_right_one_too(client: TestClient) -> None:
    codes = [attempt(client, LAURA, f"clave-{n}") for n in range(200)]
    assert [r.status_code for r in codes[:5]] == [401] * 5  # the default allows 5 a minute
    assert {r.status_code for r in codes[5:]} == {429}
    locked = codes[-1]
    assert 1 <= int(locked.headers["Retry-After"]) <= 60
    assert "Demasiados intentos" in locked.json()["detail"]
    assert locked.headers["Retry-After"] in locked.json()["detail"]
    # During the lockout the right password is refused too: a guess that lands is not confirmed.
    assert attempt(client, LAURA, DEMO_PASSWORD).status_code == 429
    # Someone else's account is not locked by Laura's failures.
    assert attempt(client, ANDRES, DEMO_PASSWORD).status_code == 200


def test_the_lockout_answers_alike_for_unknown_and_existing_accounts(client: TestClient) -> None:
    for email in (LAURA, "nadie@example.co"):
        for n in range(5):
            assert attempt(client, email, f"x{n}").status_code == 401
    known, unknown = attempt(client, LAURA, "x"), attempt(client, "nadie@example.co", "x")
    assert known.status_code == unknown.status_code == 429
    assert SECONDS.sub("N", known.json()["detail"]) == SECONDS.sub("N", unknown.json()["detail"])
    assert "nadie" not in unknown.text and "laura" not in known.text.lower()


def test_one_ip_spraying_many_accounts_is_limited(client: TestClient) -> None:
    # 20 failures a minute per IP by default, each on a different (unknown) account.
    assert {attempt(client, f"user{n}@example.co", "x").status_code for n in range(20)} == {401}
    sprayed = attempt(client, ANDRES, DEMO_PASSWORD)
    assert sprayed.status_code == 429 and "Retry-After" in sprayed.headers


def test_the_lockout_ends_with_its_window(tiny_client: TestClient) -> None:
    for n in range(3):
        assert attempt(tiny_client, LAURA, f"x{n}").status_code == 401
    locked = attempt(tiny_client, LAURA, DEMO_PASSWORD)
    assert locked.status_code == 429
    time.sleep(int(locked.headers["Retry-After"]) + 0.1)
    assert attempt(tiny_client, LAURA, DEMO_PASSWORD).status_code == 200


def test_a_successful_login_resets_the_account_counter(tiny_client: TestClient) -> None:
    for n in range(2):
        assert attempt(tiny_client, LAURA, f"x{n}").status_code == 401
    assert attempt(tiny_client, LAURA, DEMO_PASSWORD).status_code == 200
    # Without the reset the third failure in the window would already lock the account out.
    for n in range(2):
        assert attempt(tiny_client, LAURA, f"y{n}").status_code == 401
    assert attempt(tiny_client, LAURA, DEMO_PASSWORD).status_code == 200


@pytest.mark.parametrize("tiny_client", [{"login_limits_per_account": "2/1 second;4/1 minute"}], indirect=True)
def test_the_wait_grows_as_failures_pile_up(tiny_client: TestClient) -> None:
    for n in range(2):
        assert attempt(tiny_client, LAURA, f"a{n}").status_code == 401
    first = attempt(tiny_client, LAURA, "a")
    assert first.status_code == 429 and int(first.headers["Retry-After"]) == 1
    time.sleep(1.1)
    for n in range(2):
        assert attempt(tiny_client, LAURA, f"b{n}").status_code == 401
    second = attempt(tiny_client, LAURA, "b")
    assert second.status_code == 429 and int(second.headers["Retry-After"]) > 30


def test_bad_limit_settings_are_refused_at_start_up(tmp_path: Path) -> None:
    with pytest.raises((SettingsError, ValueError)):
        make_settings(tmp_path, "sqlite://", login_limits_per_account="cinco por minuto")


@pytest.mark.redis
def test_redis_storage_shares_the_counters_between_processes(redis_url: str, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, "sqlite://", rate_limit_storage_url=redis_url,
                             login_limits_per_account="2/minute", login_limits_per_ip="100/minute")
    api_one, api_two = build_login_throttle(settings), build_login_throttle(settings)
    api_one.failed(email="laura@example.co", ip="10.0.0.1")
    api_two.failed(email="Laura@Example.co ", ip="10.0.0.2")
    assert api_one.retry_after(email="laura@example.co", ip="10.0.0.3") is not None
    api_two.succeeded(email="laura@example.co")
    assert api_one.retry_after(email="laura@example.co", ip="10.0.0.3") is None
