from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from infra.settings import BusKind, Profile, Settings

SECRET = "x" * 40


def build(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_embedded_defaults_keep_state_under_the_data_dir(tmp_path: Path) -> None:
    settings = build(data_dir=tmp_path)
    assert settings.profile == Profile.EMBEDDED
    assert settings.database_url == f"sqlite:///{tmp_path.as_posix()}/mestocker.db"
    assert settings.bus == BusKind.INPROCESS
    assert settings.chroma_path == tmp_path / "chroma"


def test_postgres_urls_are_normalised_to_psycopg3() -> None:
    assert build(database_url="postgresql://u@h/db").database_url == "postgresql+psycopg://u@h/db"
    assert build(database_url="postgres://u@h/db").database_url == "postgresql+psycopg://u@h/db"


def test_unknown_database_scheme_is_refused() -> None:
    with pytest.raises(ValidationError, match="sqlite:/// or postgresql://"):
        build(database_url="mysql://u@h/db")


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({}, "not SQLite"),
        ({"database_url": "postgresql://u@h/db"}, "not the in-process bus"),
        ({"database_url": "postgresql://u@h/db", "bus": "kafka", "kafka_bootstrap_servers": "k:9092"},
         "not embedded"),
        ({"database_url": "postgresql://u@h/db", "bus": "redis", "redis_url": "redis://r", "chroma_mode": "http",
          "chroma_url": "http://c", "jwt_secret": "short"}, "JWT_SECRET"),
        ({"database_url": "postgresql://u@h/db", "bus": "redis", "redis_url": "redis://r", "chroma_mode": "http",
          "chroma_url": "http://c", "jwt_secret": SECRET}, "RATE_LIMIT_STORAGE_URL must point to Redis"),
    ],
)
def test_production_refuses_embedded_adapters(values: dict[str, object], complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint):
        build(profile="production", **values)


def test_production_with_real_services_validates() -> None:
    settings = build(profile="production", database_url="postgresql://u@h/db", bus="kafka",
                     kafka_bootstrap_servers="k:9092", chroma_mode="http", chroma_url="http://c:8000",
                     jwt_secret=SECRET, rate_limit_storage_url="redis://r:6379/1")
    assert settings.is_production and not settings.is_sqlite


def test_env_prefix_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MESTOCKER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MESTOCKER_PORT", "8123")
    settings = build()
    assert settings.port == 8123
    assert settings.data_dir == tmp_path


def test_idempotency_keys_are_kept_a_day_unless_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    assert build(data_dir=tmp_path).idempotency_retention == timedelta(hours=24)
    monkeypatch.setenv("MESTOCKER_IDEMPOTENCY_RETENTION_HOURS", "6")
    assert build(data_dir=tmp_path).idempotency_retention == timedelta(hours=6)
    with pytest.raises(ValidationError):
        build(data_dir=tmp_path, idempotency_retention_hours=0)


def test_the_jwt_secret_is_generated_once_per_data_dir(tmp_path: Path) -> None:
    from infra.settings import signing_secret

    first = signing_secret(build(data_dir=tmp_path))
    assert len(first) >= 32 and signing_secret(build(data_dir=tmp_path)) == first
    assert (tmp_path / "jwt-secret").stat().st_mode & 0o077 == 0
    assert signing_secret(build(data_dir=tmp_path, jwt_secret=SECRET)) == SECRET
