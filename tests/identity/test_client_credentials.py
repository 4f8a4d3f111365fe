"""Service clients: `mestocker clients create|list|revoke`, the client-credentials grant, and what a client may do."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select

from api.cli import main
from commerce.identity.clients import CreateServiceClient, ServiceClient
from commerce.identity.passwords import verify_password
from commerce.identity.principal import WORKER, Scope
from commerce.shared.errors import NotAuthorized
from infra import migrate
from infra.bootstrap import Platform
from infra.settings import Settings
from infra.worker import ReorderScheduler
from tests.security.conftest import BOTH_BACKENDS, bearer


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run `mestocker …` in-process against the test's database; return (exit code, stdout, stderr)."""
    monkeypatch.setenv("MESTOCKER_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MESTOCKER_DATA_DIR", str(Path(settings.data_dir)))
    monkeypatch.setenv("MESTOCKER_PROFILE", "embedded")

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def create(cli, name: str, scopes: str, *extra: str) -> dict:  # type: ignore[no-untyped-def]
    code, out, err = cli("clients", "create", name, "--scopes", scopes, "--json", *extra)
    assert code == 0, err
    return json.loads(out)


def client_token(client: TestClient, client_id: str, secret: str, **extra: str):  # type: ignore[no-untyped-def]
    return client.post("/v1/auth/token", data={"grant_type": "client_credentials", "client_id": client_id,
                                               "client_secret": secret, **extra})


def test_create_prints_the_secret_once_and_stores_only_its_hash(cli, platform: Platform) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli("clients", "create", "reorder-cron", "--scopes", "reorder:run,reorder:read")
    assert code == 0, err
    secret = next(line.split()[-1] for line in out.splitlines() if line.startswith("client_secret:"))
    assert "no se vuelve a mostrar" in err
    with platform.session_factory() as session:
        row = session.scalar(select(ServiceClient).where(ServiceClient.name == "reorder-cron"))
    assert row is not None and secret not in row.secret_hash and row.secret_hash.startswith("$argon2id$")
    assert verify_password(secret, row.secret_hash) and row.scopes == "reorder:read reorder:run"
    code, listed, _ = cli("clients", "list")
    assert code == 0 and "reorder-cron" in listed and secret not in listed and "activo" in listed


@pytest.mark.parametrize(("scopes", "extra", "message"), [
    ("orders:everything", (), "desconocido"),
    ("chat:use", (), "persona"),
    ("fulfillment:write", ("--seller", "SEL-CAFE"), "plataforma"),
    ("reorder:read", ("--seller", "SEL-NOPE"), "No existe el vendedor"),
])
def test_create_refuses_bad_scopes_and_sellers(cli, scopes: str, extra: tuple[str, ...], message: str) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli("clients", "create", "bad-client", "--scopes", scopes, *extra)
    assert code == 1 and message in err


def test_a_duplicate_name_is_refused(cli) -> None:  # type: ignore[no-untyped-def]
    create(cli, "erp", "reorder:read")
    code, _, err = cli("clients", "create", "erp", "--scopes", "reorder:read")
    assert code == 1 and "Ya existe" in err


def test_client_credentials_give_a_token_with_only_the_clients_scopes(client: TestClient, cli) -> None:  # type: ignore[no-untyped-def]
    made = create(cli, "reorder-cron", "reorder:run reorder:read")
    response = client_token(client, made["client_id"], made["client_secret"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["scopes"] == ["reorder:read", "reorder:run"] and body["role"] == "servicio"
    assert body["refresh_token"] is None and body["refresh_expires_in"] is None
    headers = bearer(body["access_token"])
    # The reorder endpoints work for it, across every seller (a platform client) ...
    cycle = client.post("/v1/reorder/cycles", json={"cycle_id": "RC-TEST-CRON"}, headers=headers)
    assert cycle.status_code == 200, cycle.text
    assert cycle.json()["cycle_id"] == "RC-TEST-CRON" and cycle.json()["evaluated"] > 0
    again = client.post("/v1/reorder/cycles", json={"cycle_id": "RC-TEST-CRON"}, headers=headers)
    assert again.json()["replayed"] is True
    proposals = client.get("/v1/reorder/proposals?status=all", headers=headers).json()
    assert len({p["seller_id"] for p in proposals}) >= 2
    # ... and nothing else: no orders, no inventory, no chat, no approvals.
    for method, path, payload in (("GET", "/v1/orders", None), ("GET", "/v1/inventory/CAF-001", None),
                                  ("GET", "/v1/orders/ORD-1001", None), ("GET", "/v1/notifications", None),
                                  ("POST", "/v1/chat/threads/t/messages", {"message": "hola"}),
                                  ("POST", "/v1/privacy/erasure", {"user_id": 6})):
        denied = client.request(method, path, json=payload, headers=headers)
        assert denied.status_code in (403, 422), (path, denied.text)
        assert "ORD-1001" not in denied.json()["detail"]  # (`instance` echoes the path the caller asked for)
    if proposals and (po := next((p["purchase_order_id"] for p in proposals if p["purchase_order_id"]), None)):
        assert client.post(f"/v1/fulfillment/purchase-orders/{po}/approval", headers=headers).status_code == 403


def test_http_basic_credentials_and_a_narrowed_client_token(client: TestClient, cli) -> None:  # type: ignore[no-untyped-def]
    made = create(cli, "erp-basic", "reorder:read reorder:approve")
    basic = base64.b64encode(f"{made['client_id']}:{made['client_secret']}".encode()).decode()
    response = client.post("/v1/auth/token", data={"grant_type": "client_credentials", "scope": "reorder:read"},
                           headers={"Authorization": f"Basic {basic}"})
    assert response.status_code == 200, response.text
    assert response.json()["scopes"] == ["reorder:read"]
    more = client.post("/v1/auth/token", data={"grant_type": "client_credentials", "scope": "reorder:run"},
                       headers={"Authorization": f"Basic {basic}"})
    assert more.status_code == 400 and more.json()["code"] == "invalid_scope"


def test_wrong_unknown_or_revoked_credentials_are_401_alike(client: TestClient, cli) -> None:  # type: ignore[no-untyped-def]
    made = create(cli, "short-lived", "reorder:read")
    good = client_token(client, made["client_id"], made["client_secret"]).json()["access_token"]
    wrong = client_token(client, made["client_id"], "not-the-secret")
    unknown = client_token(client, "cli_0000000000000000", made["client_secret"])
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() and wrong.json()["code"] == "invalid_client"
    assert client_token(client, "", "").status_code == 401
    assert client.get("/v1/reorder/proposals", headers=bearer(good)).status_code == 200
    code, out, _ = cli("clients", "revoke", "short-lived")
    assert code == 0 and "revocado" in out
    assert client.get("/v1/reorder/proposals", headers=bearer(good)).status_code == 401  # at once
    assert client_token(client, made["client_id"], made["client_secret"]).status_code == 401
    assert "revocado" in cli("clients", "list")[1]


def test_a_sellers_client_reaches_only_that_seller(client: TestClient, cli) -> None:  # type: ignore[no-untyped-def]
    made = create(cli, "cafe-erp", "reorder:read reorder:run inventory:read", "--seller", "SEL-CAFE")
    headers = bearer(client_token(client, made["client_id"], made["client_secret"]).json()["access_token"])
    cycle = client.post("/v1/reorder/cycles", json={"cycle_id": "RC-CAFE-ERP"}, headers=headers)
    assert cycle.status_code == 200, cycle.text
    assert all(p["seller_id"] == "SEL-CAFE" for p in cycle.json()["proposals"])
    assert client.post("/v1/reorder/cycles", json={"seller_id": "SEL-TECH"}, headers=headers).status_code == 403
    assert all(p["seller_id"] == "SEL-CAFE" for p in
               client.get("/v1/reorder/proposals?status=all", headers=headers).json())
    assert client.get("/v1/inventory/CAF-001", headers=headers).status_code == 200
    assert client.get("/v1/inventory/TEC-550", headers=headers).status_code == 403


def test_the_worker_runs_cycles_as_a_least_privileged_service(platform: Platform) -> None:
    assert WORKER.is_service and WORKER.scopes == {str(Scope.REORDER_RUN)} and WORKER.cross_tenant
    scheduler = ReorderScheduler(interval=timedelta(hours=1), first_delay=timedelta(0))
    scheduler.request_for_sale("SEL-CAFE", 42)
    cycles = scheduler.due()
    assert len(cycles) == 2 and all(c.actor == WORKER for c in cycles)
    for cycle in cycles:  # reorder:run is all a cycle needs, for one seller or all of them
        assert platform.bus.handle(cycle).evaluated > 0
    with pytest.raises(NotAuthorized):
        WORKER.require(Scope.ORDERS_READ)


def test_create_service_client_is_a_command(platform: Platform) -> None:
    created = platform.bus.handle(CreateServiceClient(name="direct", scopes=["catalog:read"]))
    assert created.client.client_id.startswith("cli_") and len(created.secret) >= 40


@BOTH_BACKENDS
def test_0011_downgrades_upgrades_and_matches_the_model(platform: Platform) -> None:
    migrate.downgrade(platform.engine, "0010")
    assert not inspect(platform.engine).has_table("service_clients")
    assert "scopes" not in {c["name"] for c in inspect(platform.engine).get_columns("refresh_tokens")}
    migrate.upgrade(platform.engine)
    with platform.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), migrate.target_metadata())
    assert [d for d in diff if "service_clients" in str(d) or "refresh_tokens" in str(d)] == []
