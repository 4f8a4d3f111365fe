"""`GET /v1/reorder/proposals` and `mestocker reorder run` on the demo world."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from api.cli import main
from commerce.fulfillment.reorder import RunReorderCycle
from commerce.fulfillment.reorder_proposals import get_proposal
from commerce.identity.principal import Principal, Role
from commerce.shared.errors import NotFound
from commerce.shared.money import format_cop
from infra.bootstrap import Platform
from infra.settings import Settings
from tests.conftest import auth_headers

CAFE = "ventas@cafeorigen.example.co"
ADMIN = "admin@mestocker.example.co"


def test_sellers_see_their_own_proposals_and_staff_all(client: TestClient, platform: Platform) -> None:
    result = platform.bus.handle(RunReorderCycle(cycle_id="api"))
    mine = client.get("/v1/reorder/proposals", headers=auth_headers(client, CAFE))
    assert mine.status_code == 200
    assert mine.json() and {p["seller_id"] for p in mine.json()} == {"SEL-CAFE"}
    everyone = client.get("/v1/reorder/proposals", headers=auth_headers(client, ADMIN)).json()
    assert {p["id"] for p in everyone} == {p.id for p in result.proposals}
    assert {p["seller_id"] for p in everyone} == {"SEL-CAFE", "SEL-MODA", "SEL-TECH"}
    caf = next(p for p in mine.json() if p["kind"] == "purchase")
    assert caf["explanation"].startswith("Propongo comprar") and caf["status"] == "draft"


def test_other_sellers_and_buyers_get_nothing(client: TestClient, platform: Platform) -> None:
    result = platform.bus.handle(RunReorderCycle(cycle_id="api"))
    tech = next(p for p in result.proposals if p.seller_id == "SEL-TECH")
    cafe = auth_headers(client, CAFE)
    assert client.get("/v1/reorder/proposals?seller_id=SEL-TECH", headers=cafe).json() == []  # not staff: own only
    with platform.read_uow() as uow:
        seller = Principal.for_role(user_id=3, email=CAFE, role=Role.CLIENTE, seller_id="SEL-CAFE")
        with pytest.raises(NotFound):
            get_proposal(uow=uow, principal=seller, proposal_id=tech.id)
    laura = auth_headers(client, "laura.gomez@example.co")
    assert client.get("/v1/reorder/proposals", headers=laura).status_code == 403
    assert client.get("/v1/reorder/proposals").status_code == 401


def test_approved_proposals_leave_the_open_list(client: TestClient, platform: Platform) -> None:
    from commerce.fulfillment import commands as fc

    result = platform.bus.handle(RunReorderCycle(cycle_id="api", seller_id="SEL-TECH"))
    po_id = result.purchase_orders[0]
    platform.bus.handle(fc.ApprovePurchaseOrder(purchase_order_id=po_id))
    admin = auth_headers(client, ADMIN)
    open_now = client.get("/v1/reorder/proposals", headers=admin).json()
    assert po_id not in {p["purchase_order_id"] for p in open_now}
    every = client.get("/v1/reorder/proposals?status=all", headers=admin).json()
    assert {p["status"] for p in every if p["purchase_order_id"] == po_id} == {"approved"}


def test_cli_runs_one_cycle_per_seller_and_again_creates_nothing(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MESTOCKER_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MESTOCKER_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("MESTOCKER_EMBEDDED_WORKER", "false")
    assert main(["reorder", "run", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [r["cycle_id"].rsplit("-", 2)[-2:] for r in lines] == [["SEL", "CAFE"], ["SEL", "MODA"], ["SEL", "TECH"]]
    assert all(r["proposals"] for r in lines)
    assert main(["reorder", "run", "--seller", "sel-cafe"]) == 0
    table = capsys.readouterr().out
    purchase = next(p for p in lines[0]["proposals"] if p["kind"] == "purchase")
    assert "repetido (sin cambios)" in table and purchase["sku"] in table
    assert format_cop(purchase["cost_cop"]) in table
