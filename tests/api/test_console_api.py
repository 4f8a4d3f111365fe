"""The console's own reads: the outbox backlog (staff only) and the eval-report summary; the page itself."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from commerce.fulfillment.reorder import RunReorderCycle
from infra.bootstrap import Platform
from tests.conftest import auth_headers

SELLER = "ventas@cafeorigen.example.co"
ADMIN = "admin@mestocker.example.co"


def test_the_page_is_served_with_the_same_strict_policy_as_the_chat(client: TestClient) -> None:
    page = client.get("/console")
    assert page.status_code == 200 and "Consola de operación" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert client.get("/static/console.js").status_code == 200


def test_the_outbox_backlog_counts_unpublished_events_for_staff_only(client: TestClient, platform: Platform) -> None:
    admin = auth_headers(client, ADMIN)
    before = client.get("/v1/console/outbox", headers=admin)
    assert before.status_code == 200
    platform.bus.handle(RunReorderCycle(cycle_id="console-api"))  # writes events to the outbox, none published
    after = client.get("/v1/console/outbox", headers=admin).json()
    assert after["backlog"] > before.json()["backlog"]
    assert after["oldest_at"] is not None and after["lag_seconds"] >= 0
    refused = client.get("/v1/console/outbox", headers=auth_headers(client, SELLER))
    assert refused.status_code == 403 and "MeStocker" in refused.json()["detail"]
    assert client.get("/v1/console/outbox").status_code == 401


def test_the_eval_summary_reads_the_last_report_or_says_there_is_none(client: TestClient,
                                                                      platform: Platform) -> None:
    seller = auth_headers(client, SELLER)
    assert client.get("/v1/console/eval-report", headers=seller).json()["present"] is False
    folder = platform.settings.data_dir / "evals"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps({
        "meta": {"model": "m", "started_at": "2026-12-01T23:00:00Z"}, "gate": {"passed": True, "failures": []},
        "splits": {"dev": {"task_success": 0.9}, "holdout": {"task_success": None}}}), encoding="utf-8")
    summary = client.get("/v1/console/eval-report", headers=seller).json()
    assert summary["present"] and summary["gate_passed"] is True
    assert summary["task_success"] == {"dev": 0.9, "holdout": None}
    (folder / "report.json").write_text("{not json", encoding="utf-8")
    assert client.get("/v1/console/eval-report", headers=seller).json()["present"] is False
    buyer = auth_headers(client, "laura.gomez@example.co")
    assert client.get("/v1/console/eval-report", headers=buyer).status_code == 403
