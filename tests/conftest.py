"""Shared fixtures: a seeded platform on SQLite always, and on PostgreSQL when a server can start.

Seeding takes a moment (90 days of history, scrypt hashes), so each database kind is seeded once
into a template; every test gets its own copy (a file copy on SQLite, CREATE DATABASE … TEMPLATE
on PostgreSQL) and may change it freely.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from api.app import create_app
from commerce.shared.clock import utcnow
from infra.bootstrap import Platform, bootstrap, seed_fresh_database
from infra.settings import Settings

pytest_plugins = ["tests.services"]

DEMO_PASSWORD = "mestocker-demo"
# Request rate limits are off in tests unless a test turns them on (tests/api/test_rate_limits.py):
# a test making many calls must not depend on how fast the machine runs it.
NO_REQUEST_LIMITS = {"api_limits": "", "anonymous_limits": "", "chat_limits": "", "whatsapp_limits": ""}
# One data-encryption key file for the whole session: every test's copy of a seeded template reads the values
# the template was seeded with (infra/crypto.py). Tests that change keys copy it (tests/privacy/test_encryption.py).
TEST_KEY_FILE = Path(tempfile.mkdtemp(prefix="mestocker-test-keys-")) / "encryption-keys.json"


def make_settings(data_dir: Path, database_url: str, **overrides: object) -> Settings:
    """Settings for a test, ignoring any .env file of the developer."""
    values: dict[str, object] = {"data_dir": data_dir, "database_url": database_url, "embedded_worker": False,
                                 **NO_REQUEST_LIMITS, "encryption_key_file": TEST_KEY_FILE}
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def seed_into(settings: Settings) -> None:
    seed_fresh_database(settings)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "template.db"
    seed_into(make_settings(folder, f"sqlite:///{path}"))
    return path


def _admin_conninfo(url: str) -> str:
    parsed = make_url(url)
    return f"host={parsed.host} port={parsed.port} user={parsed.username} dbname=postgres"


@pytest.fixture(scope="session")
def postgres_template(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A seeded PostgreSQL database used as CREATE DATABASE template."""
    name = "mestocker_template"
    with psycopg.connect(_admin_conninfo(postgres_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    seed_into(make_settings(tmp_path_factory.mktemp("pg-template"), url))
    return url


def _postgres_copy(template_url: str) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    template = make_url(template_url).database
    admin = _admin_conninfo(template_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield make_url(template_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seeded_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A private copy of the seeded template for `request.param` ("sqlite" or "postgres")."""
    if request.param == "sqlite":
        target = tmp_path / "mestocker.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        yield f"sqlite:///{target}"
    else:
        yield from _postgres_copy(request.getfixturevalue("postgres_template"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A private, seeded database: SQLite, then PostgreSQL."""
    yield from seeded_database(request, tmp_path)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
def platform(settings: Settings) -> Iterator[Platform]:
    built = bootstrap(settings)
    yield built
    built.close()


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform, background_worker=False)) as test_client:
        yield test_client


def totp_code(platform: Platform, email: str) -> str:
    """A valid, not yet used TOTP code of `email`, computed from the secret stored for them.

    A step is accepted once, so this picks the current step or the next one not yet spent (both
    are in the verification window); when both are spent it waits for the clock."""
    import pyotp
    from sqlalchemy import select

    from commerce.identity.mfa import TotpCredential
    from commerce.identity.models import User

    with platform.session_factory() as session:
        secret, last = session.execute(
            select(TotpCredential.secret, TotpCredential.last_step)
            .join(User, User.id == TotpCredential.user_id).where(User.email == email)
        ).one()
    totp = pyotp.TOTP(secret)
    step = max(totp.timecode(utcnow()), (last if last is not None else -1) + 1)
    while step > totp.timecode(utcnow()) + 1:
        time.sleep(0.5)
    return totp.generate_otp(step)


def login_pair(client: TestClient, email: str, password: str = DEMO_PASSWORD,
               platform: Platform | None = None) -> dict[str, object]:
    """POST /v1/auth/token; a user with a second factor (admins, superusers) also sends a TOTP code."""
    form = {"username": email, "password": password}
    response = client.post("/v1/auth/token", data=form)
    if response.status_code == 401 and response.json().get("code") == "mfa_required":
        platform = platform or client.app.state.platform  # type: ignore[attr-defined]
        assert platform is not None
        response = client.post("/v1/auth/token", data={**form, "otp": totp_code(platform, email)})
    assert response.status_code == 200, response.text
    pair: dict[str, object] = response.json()
    return pair


def auth_headers(client: TestClient, email: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
    return {"Authorization": f"Bearer {login_pair(client, email, password)['access_token']}"}
