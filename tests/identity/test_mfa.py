"""Second factor: admins and superusers need a TOTP code (once per step) or a recovery code (once)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, inspect

from commerce.identity.mfa import (
    EnrolTotp,
    TotpCredential,
    TotpEnrolment,
    matching_step,
    otpauth_uri,
)
from commerce.shared.clock import utcnow
from infra import migrate
from infra.bootstrap import Platform
from tests.conftest import DEMO_PASSWORD, login_pair, totp_code
from tests.security.conftest import ADMIN, BOTH_BACKENDS, LAURA, ROOT, user_row


def attempt(client: TestClient, email: str, otp: str | None = None, password: str = DEMO_PASSWORD) -> httpx.Response:
    form = {"username": email, "password": password}
    if otp is not None:
        form["otp"] = otp
    return client.post("/v1/auth/token", data=form)


def enrol(platform: Platform, email: str) -> TotpEnrolment:
    enrolment: TotpEnrolment = platform.bus.handle(EnrolTotp(user_id=user_row(platform, email).id))
    return enrolment


@pytest.mark.parametrize("email", [ADMIN, ROOT])
def test_staff_without_a_code_get_no_token(client: TestClient, email: str) -> None:
    response = attempt(client, email)
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "mfa_required"  # what the web page looks for to ask for the code
    assert "segundo factor" in body["detail"] and "otp" in body["detail"]
    assert "access_token" not in body
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_wrong_password_is_refused_before_any_second_factor(client: TestClient, platform: Platform) -> None:
    response = attempt(client, ADMIN, otp=totp_code(platform, ADMIN), password="otra-clave")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"  # says nothing about the second factor


@BOTH_BACKENDS
def test_the_right_code_logs_in_once_and_a_replay_is_refused(client: TestClient, platform: Platform) -> None:
    code = totp_code(platform, ADMIN)
    first = attempt(client, ADMIN, otp=code)
    assert first.status_code == 200, first.text
    assert first.json()["role"] == "admin"
    replay = attempt(client, ADMIN, otp=code)
    assert replay.status_code == 401
    assert replay.json()["code"] == "mfa_invalid"
    assert "ya usado" in replay.json()["detail"]
    # A code shown as "123 456" is the same code; the next step still works.
    nxt = totp_code(platform, ADMIN)
    assert attempt(client, ADMIN, otp=f"{nxt[:3]} {nxt[3:]}").status_code == 200


def test_an_older_step_after_a_newer_one_is_refused(client: TestClient, platform: Platform) -> None:
    secret = enrol(platform, ADMIN).secret
    totp, now = pyotp.TOTP(secret), utcnow()
    newer, older = totp.at(now + timedelta(seconds=30)), totp.at(now)
    if newer == older:
        pytest.skip("two steps happen to share a code")
    assert attempt(client, ADMIN, otp=newer).status_code == 200
    assert attempt(client, ADMIN, otp=older).json()["code"] == "mfa_invalid"


def test_the_window_is_one_step_either_side() -> None:
    secret, now = pyotp.random_base32(), utcnow()
    totp = pyotp.TOTP(secret)
    for seconds in (-30, 0, 30):
        assert matching_step(secret, totp.at(now + timedelta(seconds=seconds)), now) is not None
    for seconds in (-90, 90):
        code = totp.at(now + timedelta(seconds=seconds))
        if all(code != totp.at(now + timedelta(seconds=s)) for s in (-30, 0, 30)):
            assert matching_step(secret, code, now) is None
    assert matching_step(secret, "12345", now) is None and matching_step(secret, "abcdef", now) is None


def test_a_wrong_code_counts_as_a_failed_login(client: TestClient, platform: Platform) -> None:
    for _ in range(5):  # the default per-account window: 5 a minute
        response = attempt(client, ADMIN, otp="000000")
        assert response.status_code == 401 and response.json()["code"] == "mfa_invalid"
    locked = attempt(client, ADMIN, otp=totp_code(platform, ADMIN))
    assert locked.status_code == 429 and "Retry-After" in locked.headers


def test_a_recovery_code_works_once(client: TestClient, platform: Platform) -> None:
    enrolment = enrol(platform, ROOT)
    assert len(enrolment.recovery_codes) == 10 and len(set(enrolment.recovery_codes)) == 10
    code = enrolment.recovery_codes[3]
    ok = attempt(client, ROOT, otp=code.upper())  # case and dashes do not matter
    assert ok.status_code == 200, ok.text
    again = attempt(client, ROOT, otp=code)
    assert again.status_code == 401 and again.json()["code"] == "mfa_invalid"
    headers = {"Authorization": f"Bearer {ok.json()['access_token']}"}
    assert client.get("/v1/auth/mfa", headers=headers).json() == {
        "required": True, "enrolled": True, "pending": False, "recovery_codes_left": 9}
    # Another user's recovery code is not ours.
    other = enrol(platform, ADMIN).recovery_codes[0]
    assert attempt(client, ROOT, otp=other).status_code == 401


def test_codes_are_stored_hashed_and_a_new_enrolment_replaces_them(client: TestClient, platform: Platform) -> None:
    first = enrol(platform, ROOT)
    with platform.engine.connect() as connection:
        stored = [row[0] for row in connection.exec_driver_sql("SELECT code_hash FROM mfa_recovery_codes")]
    assert not set(first.recovery_codes) & set(stored)
    second = enrol(platform, ROOT)
    assert attempt(client, ROOT, otp=first.recovery_codes[0]).status_code == 401
    assert attempt(client, ROOT, otp=pyotp.TOTP(first.secret).now()).status_code == 401
    assert attempt(client, ROOT, otp=second.recovery_codes[0]).status_code == 200


def test_a_buyer_needs_no_second_factor(client: TestClient) -> None:
    assert attempt(client, LAURA).status_code == 200


def test_staff_without_enrolment_are_told_to_enrol(client: TestClient, platform: Platform) -> None:
    with platform.session_factory() as session:
        session.execute(delete(TotpCredential).where(TotpCredential.user_id == user_row(platform, ADMIN).id))
        session.commit()
    response = attempt(client, ADMIN, otp="123456")
    assert response.status_code == 401
    assert response.json()["code"] == "mfa_enrolment_required"
    assert "mestocker mfa enrol" in response.json()["detail"]


def test_self_service_re_enrolment(client: TestClient, platform: Platform) -> None:
    headers = {"Authorization": f"Bearer {login_pair(client, ADMIN)['access_token']}"}
    # Replacing the second factor needs the current one.
    assert client.post("/v1/auth/mfa/enrol", headers=headers).json()["code"] == "mfa_required"
    started = client.post("/v1/auth/mfa/enrol", headers=headers, json={"otp": totp_code(platform, ADMIN)})
    assert started.status_code == 200, started.text
    body = started.json()
    assert body["otpauth_uri"] == otpauth_uri(body["secret"], ADMIN)
    assert body["otpauth_uri"].startswith("otpauth://totp/MeStocker:admin%40mestocker.example.co?secret=")
    assert body["qr_svg"].startswith("<svg")
    qr = client.get("/v1/auth/mfa/qr.svg", headers=headers)
    assert qr.status_code == 200 and qr.headers["content-type"] == "image/svg+xml" and qr.text.startswith("<svg")
    # Pending: the old secret still logs in, the new one does not yet.
    new = pyotp.TOTP(body["secret"])
    assert attempt(client, ADMIN, otp=new.now()).status_code == 401
    assert attempt(client, ADMIN, otp=totp_code(platform, ADMIN)).status_code == 200
    wrong = client.post("/v1/auth/mfa/confirm", headers=headers, json={"otp": "000000"})
    assert wrong.status_code == 422
    confirmed = client.post("/v1/auth/mfa/confirm", headers=headers, json={"otp": new.now()})
    assert confirmed.status_code == 200, confirmed.text
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == 10
    assert client.get("/v1/auth/mfa/qr.svg", headers=headers).status_code == 404
    # The confirming code was spent; the next step of the new secret logs in, a recovery code too.
    assert attempt(client, ADMIN, otp=new.now()).status_code == 401
    assert attempt(client, ADMIN, otp=totp_code(platform, ADMIN)).status_code == 200
    assert attempt(client, ADMIN, otp=codes[0]).status_code == 200


def test_the_migration_creates_the_tables(platform: Platform) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    migrate.upgrade(platform.engine)
    tables = ("totp_credentials", "mfa_recovery_codes", "verified_phones", "phone_link_codes",
              "phone_link_failures", "account_notifications")
    assert all(inspect(platform.engine).has_table(t) for t in tables)
    with platform.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), migrate.target_metadata())
    assert [d for d in diff if any(t in str(d) for t in tables)] == []


def test_an_operator_re_enrolment_ends_the_open_sessions(client: TestClient, platform: Platform) -> None:
    pair = login_pair(client, ADMIN)
    enrol(platform, ADMIN)
    response = client.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert response.status_code == 401
