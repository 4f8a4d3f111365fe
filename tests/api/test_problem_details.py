"""Every error body is an RFC 9457 problem (`application/problem+json`) with a Spanish `detail`,
and every operation declares its problem responses in the OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.errors import TYPE_PREFIX
from api.rate_limits import is_exempt
from infra.bootstrap import bootstrap
from tests.conftest import auth_headers, make_settings, seeded_database
from tests.security.conftest import LAURA, MAFE

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "code"}


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from seeded_database(request, tmp_path)


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Assert `response` is a problem of `status` and `code`; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == status and body["code"] == code
    assert body["type"] == TYPE_PREFIX + code
    assert body["instance"] == response.request.url.path
    assert isinstance(body["detail"], str) and body["detail"].endswith(".")
    assert isinstance(body["title"], str) and body["title"]
    assert "Traceback" not in response.text
    return body


def test_starlettes_own_404_and_405_are_problems(client: TestClient) -> None:
    assert problem(client.get("/v1/no-existe"), 404, "not_found")["detail"] == "Recurso no encontrado."
    assert problem(client.delete("/healthz"), 405, "method_not_allowed")["detail"] == (
        "Método no permitido para este recurso.")


def test_a_body_over_the_limit_is_a_413_problem(database_url: str, tmp_path: Path) -> None:
    platform = bootstrap(make_settings(tmp_path, database_url, max_request_bytes=2048))
    try:
        with TestClient(create_app(platform, background_worker=False)) as client:
            laura = auth_headers(client, LAURA)
            big = b'{"message": "' + b"a" * 4096 + b'"}'
            declared = client.post("/v1/chat/threads/t/messages", content=big,
                                   headers={**laura, "Content-Type": "application/json"})
            assert "2048 bytes" in problem(declared, 413, "payload_too_large")["detail"]
            # Without Content-Length (chunked), the read that crosses the limit is refused the same way.
            chunked = client.post("/v1/auth/refresh", content=iter([b'{"refresh_token": "', b"x" * 4096, b'"}']),
                                  headers={"Content-Type": "application/json"})
            problem(chunked, 413, "payload_too_large")
            # Under the limit, the same route works.
            small = client.post("/v1/chat/threads/t/messages", json={"message": "hola"}, headers=laura)
            assert small.status_code == 200
    finally:
        platform.close()


def test_validation_errors_list_every_field(client: TestClient) -> None:
    laura = auth_headers(client, LAURA)
    response = client.post("/v1/orders", json={"lines": [{"sku": 7, "quantity": "dos"}], "extra": 1}, headers=laura)
    body = problem(response, 422, "validation_error")
    assert body["title"] == "Datos inválidos" and body["detail"].startswith("Solicitud inválida — ")
    fields = {(e["location"], e["field"], e["message"], e["pointer"]) for e in body["errors"]}
    assert ("body", "lines.0.sku", "debe ser texto", "#/lines/0/sku") in fields
    assert ("body", "lines.0.quantity", "debe ser un número entero", "#/lines/0/quantity") in fields
    assert ("body", "extra", "no es un campo permitido", "#/extra") in fields
    query = problem(client.get("/v1/notifications", params={"limit": 0}, headers=laura), 422, "validation_error")
    assert query["errors"] == [{"location": "query", "field": "limit", "message": "debe ser mayor o igual que 1",
                                "pointer": None}]
    broken = problem(client.post("/v1/orders", content=b"{no es json", headers={**laura,
                                                                                "Content-Type": "application/json"}),
                     422, "validation_error")
    assert broken["errors"][0]["field"] == "cuerpo" and broken["errors"][0]["message"] == "el cuerpo no es JSON válido"


def test_401_keeps_its_bearer_challenge(client: TestClient) -> None:
    for headers in ({}, {"Authorization": "Bearer no-es-un-token"}):
        response = client.get("/v1/orders", headers=headers)
        problem(response, 401, "not_authenticated")
        assert response.headers["WWW-Authenticate"] == "Bearer"
    wrong = client.post("/v1/auth/token", data={"username": LAURA, "password": "equivocada"})
    problem(wrong, 401, "not_authenticated")


def test_403_and_domain_errors_are_problems_with_their_code(client: TestClient) -> None:
    laura, mafe = (auth_headers(client, email) for email in (LAURA, MAFE))
    assert problem(client.get("/v1/routing-logs", headers=laura), 403, "not_authorized")["title"] == "Acceso denegado"
    problem(client.get("/v1/orders/ORD-9999", headers=laura), 404, "not_found")
    cancelled = client.post("/v1/orders/ORD-1003/cancel", json={"reason": "ya no lo quiero"}, headers=mafe)
    problem(cancelled, 409, "illegal_transition")
    paid_twice = client.post("/v1/orders/ORD-1004/payments", json={}, headers=laura)
    assert paid_twice.status_code in (409, 422)
    problem(paid_twice, paid_twice.status_code, paid_twice.json()["code"])
    unknown_status = problem(client.get("/v1/orders", params={"status": "perdido"}, headers=laura), 422,
                             "invalid_input")
    assert unknown_status["errors"] == []  # every 422 has the list, even when no field is to blame


def test_an_idempotent_replay_of_an_error_is_still_a_problem(client: TestClient) -> None:
    headers = {**auth_headers(client, LAURA), "Idempotency-Key": "problema-1"}
    body = {"lines": [{"sku": "CAF-001", "quantity": 1000}]}
    first = client.post("/v1/orders", json=body, headers=headers)
    again = client.post("/v1/orders", json=body, headers=headers)
    assert problem(first, 409, "out_of_stock") == problem(again, 409, "out_of_stock")
    assert again.headers["Idempotent-Replayed"] == "true"


# --- The OpenAPI document ---------------------------------------------------------------------

DOCUMENT = create_app().openapi()
OPERATIONS = [(path, method, op) for path, item in DOCUMENT["paths"].items() for method, op in item.items()]


def _schema_ref(response: dict[str, Any]) -> str:
    return str(response["content"]["application/problem+json"]["schema"]["$ref"])


@pytest.mark.parametrize(("path", "method", "operation"), OPERATIONS,
                         ids=[f"{m.upper()} {p}" for p, m, _ in OPERATIONS])
def test_every_operation_declares_its_problem_responses(path: str, method: str, operation: dict[str, Any]) -> None:
    responses = operation["responses"]
    expected = {"500"} | (set() if is_exempt(path) else {"429"})
    if operation.get("security"):
        expected |= {"401", "403"}
    if operation.get("parameters") or operation.get("requestBody"):
        expected |= {"404", "422"}
    if method in ("post", "put", "patch"):
        expected |= {"400", "413"}
    assert expected <= responses.keys(), sorted(responses)
    for status, response in responses.items():
        if status.startswith(("4", "5")) and not (path == "/readyz" and status == "503"):
            model = "ValidationProblem" if status == "422" else "Problem"
            assert _schema_ref(response) == f"#/components/schemas/{model}", (status, response)
    if "429" in responses:
        assert "Retry-After" in responses["429"]["headers"]


def test_the_problem_schemas_are_components_and_fastapis_422_schema_is_gone() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    assert {"Problem", "ValidationProblem", "FieldProblem"} <= schemas.keys()
    assert set(schemas["Problem"]["required"]) == PROBLEM_KEYS
    assert "HTTPValidationError" not in str(DOCUMENT)


@pytest.mark.parametrize("credentials", [{}, {"Authorization": "Bearer no-es-un-token"}], ids=["none", "bad"])
def test_every_protected_operation_refuses_a_missing_or_bad_token(client: TestClient,
                                                                  credentials: dict[str, str]) -> None:
    protected = [(p, m, op) for p, m, op in OPERATIONS if op.get("security") and {} not in op["security"]]
    assert len(protected) > 20
    for path, method, operation in protected:
        url = path.replace("{", "").replace("}", "")  # every path parameter gets its own name as value
        body = {"json": {}} if operation.get("requestBody") else {}
        response = client.request(method.upper(), url, headers=credentials, **body)
        problem(response, 401, "not_authenticated")
        assert response.headers["WWW-Authenticate"] == "Bearer", (method, path)
