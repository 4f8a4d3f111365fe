"""/readyz and the worker's health port check every configured dependency (infra/readiness.py)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from infra.bootstrap import Platform, bootstrap
from infra.health_server import serve_health
from infra.readiness import check_dependencies
from tests.conftest import make_settings

DEAD = "127.0.0.1:9"  # the discard port: nothing listens there


def _platform(sqlite_template: Path, tmp_path: Path, **overrides: object) -> Platform:
    target = tmp_path / "mestocker.db"
    shutil.copyfile(sqlite_template, target)
    return bootstrap(make_settings(tmp_path, f"sqlite:///{target}", **overrides))


@pytest.fixture
def configured(sqlite_template: Path, tmp_path: Path, redis_url: str) -> Iterator[Platform]:
    """Every optional dependency configured: Redis up, the Chroma server and Elasticsearch down."""
    built = _platform(sqlite_template, tmp_path, redis_url=redis_url, chroma_mode="http",
                      chroma_url=f"http://{DEAD}", search_backend="elasticsearch",
                      elasticsearch_url=f"http://{DEAD}", elasticsearch_timeout_s=0.5)
    yield built
    built.close()


def test_embedded_profile_checks_the_database_and_the_bus(sqlite_template: Path, tmp_path: Path) -> None:
    built = _platform(sqlite_template, tmp_path)
    try:
        assert check_dependencies(built) == {"database": True, "bus": True}
        with TestClient(create_app(built, background_worker=False)) as client:
            response = client.get("/readyz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "database": "ok", "bus": "ok", "bus_kind": built.publisher.name}
    finally:
        built.close()


@pytest.mark.redis
def test_readyz_names_each_configured_dependency_and_fails_when_one_is_down(configured: Platform) -> None:
    assert check_dependencies(configured) == {"database": True, "bus": True, "redis": True, "chroma": False,
                                              "search": False}
    with TestClient(create_app(configured, background_worker=False)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["redis"] == "ok"
    assert body["chroma"] == "down" and body["search"] == "down"


@pytest.mark.redis
def test_the_worker_health_port_serves_the_same_probes(configured: Platform) -> None:
    server = serve_health(configured, 0, host="127.0.0.1")
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        assert httpx.get(f"{base}/healthz", timeout=5).json() == {"status": "ok"}
        ready = httpx.get(f"{base}/readyz", timeout=10)
        assert ready.status_code == 503
        assert ready.json()["chroma"] == "down" and ready.json()["database"] == "ok"
        assert httpx.get(f"{base}/nope", timeout=5).status_code == 404
    finally:
        server.shutdown()
        server.server_close()
