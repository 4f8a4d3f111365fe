"""`/metrics` after some traffic: HTTP by route template, chat turns, tool calls, routing decisions, refusals,
outbox and cache values — and every metric the Grafana dashboard queries exists."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from infra.bootstrap import Platform
from tests.conftest import auth_headers

DASHBOARD = Path(__file__).resolve().parents[2] / "infra" / "deploy" / "grafana" / "dashboards" / "mestocker.json"


def samples(client: TestClient) -> dict[str, list[tuple[dict[str, str], float]]]:
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


def traffic(client: TestClient) -> None:
    seller = auth_headers(client, "ventas@cafeorigen.example.co")
    buyer = auth_headers(client, "laura.gomez@example.co")
    assert client.get("/v1/inventory/CAF-001", headers=seller).status_code == 200
    assert client.get("/v1/products", params={"q": "cafe"}).status_code == 200
    assert client.post("/v1/orders", headers=buyer,
                       json={"lines": [{"sku": "CAF-001", "quantity": 999}], "warehouse": "BOG"}).status_code == 409
    assert client.post("/v1/orders", headers=buyer,
                       json={"lines": [{"sku": "CAF-001", "quantity": 1}], "warehouse": "BOG"}).status_code == 201
    turn = client.post("/v1/chat/threads/metrics-1/messages", headers=seller,
                       json={"message": "¿cuánto café de nariño hay en bogotá?"})
    assert turn.status_code == 200, turn.text


def test_metrics_count_requests_by_route_template_turns_and_refusals(client: TestClient) -> None:
    traffic(client)
    found = samples(client)
    routes = {labels["route"] for labels, _ in found["mestocker_http_requests_total"]}
    assert "/v1/inventory/{sku}" in routes and "/v1/inventory/CAF-001" not in routes
    assert any(labels["route"] == "/v1/orders" and value >= 1
               for labels, value in found["mestocker_http_request_duration_seconds_count"])
    assert any(labels == {"error": "OutOfStock"} and value >= 1
               for labels, value in found["mestocker_commerce_errors_total"])
    turns = {labels["agent"]: value for labels, value in found["mestocker_chat_turns_total"]}
    assert turns.get("inventory", 0) >= 1
    assert any(labels["tool"] == "get_stock" for labels, _ in found["mestocker_tool_calls_total"])
    assert sum(value for _, value in found["mestocker_routing_decisions_total"]) >= 1
    assert [value for _, value in found["mestocker_chat_turns_in_flight"]] == [0.0]
    # No worker runs beside the test client: the placed order's events wait in the outbox.
    assert found["mestocker_outbox_backlog"][0][1] >= 2 and found["mestocker_outbox_lag_seconds"][0][1] >= 0


def test_every_dashboard_panel_queries_a_metric_that_exists(client: TestClient, platform: Platform) -> None:
    traffic(client)
    exposed = set(samples(client))
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert dashboard["panels"]
    for panel in dashboard["panels"]:
        names = {name for target in panel["targets"] for name in re.findall(r"mestocker_[a-z_]+", target["expr"])}
        assert names, f"panel {panel['title']!r} queries no mestocker metric"
        missing = names - exposed
        # Families that exist only once something happened (a proposal, a fallback, tokens from a real model)
        # are registered and described; the rest must have samples after this traffic.
        assert missing <= {"mestocker_reorder_proposals", "mestocker_model_fallbacks_total",
                           "mestocker_model_tokens_total"}, f"{panel['title']!r}: {missing} not on /metrics"
    text = client.get("/metrics").text
    for name in ("mestocker_reorder_proposals", "mestocker_model_fallbacks", "mestocker_model_tokens"):
        assert f"# HELP {name}" in text


def test_the_gateways_request_id_is_echoed_and_reaches_the_routing_log(client: TestClient) -> None:
    seller = auth_headers(client, "ventas@cafeorigen.example.co")
    made = client.get("/healthz")
    assert len(made.headers["x-request-id"]) == 32  # none given: one is made
    assert client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"}).headers["x-request-id"] != \
        "bad id\twith spaces"
    turn = client.post("/v1/chat/threads/rid-1/messages", headers={**seller, "X-Request-ID": "kong-abc-123"},
                       json={"message": "¿cuánto café de nariño hay en bogotá?"})
    assert turn.status_code == 200 and turn.headers["x-request-id"] == "kong-abc-123"
    admin = auth_headers(client, "admin@mestocker.example.co")
    rows = client.get("/v1/routing-logs", headers=admin).json()
    assert any(row["request_id"] == "kong-abc-123" for row in rows)
