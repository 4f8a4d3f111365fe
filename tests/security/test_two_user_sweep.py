"""The two-user sweep: every authenticated operation of the OpenAPI document, called by party B on party A's
resources, answers 403 or 404 and never A's data.

Built from `app.openapi()`, so a new endpoint is swept by itself: a path parameter the sweep has no value for,
or an operation it cannot classify, fails the test until someone says what A's resource is. Two pairs: buyer
A (Laura, BUY-001) against buyer B (Andrés), and seller A (Café Origen, SEL-CAFE) against seller B
(TecnoHogar, which has no line in ORD-1001). For ids that name private resources (orders, purchase orders,
proposals, chat threads), B's answer must be exactly the answer for an id that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from commerce.fulfillment.reorder import RunReorderCycle
from infra.bootstrap import Platform
from tests.conftest import auth_headers
from tests.security.conftest import ANDRES, CAFE_SELLER, LAURA, TECH_SELLER, user_row

SECRET_WORD = "Zanahoria7731"  # typed by A in a chat thread; B must never read it back


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    spec: dict[str, Any]

    @property
    def path_params(self) -> list[str]:
        return [p["name"] for p in self.spec.get("parameters", []) if p["in"] == "path"]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


# Authenticated operations that are not about anyone's resources (each with its reason).
NOT_OWNED = {
    ("GET", "/v1/products/{sku}/similar"): "public catalog: anyone may see any product",
    ("GET", "/v1/notifications/stream"): "the caller's own live stream, no id (and it never ends)",
    ("POST", "/v1/orders"): "creates an order of the caller's own (buying A's product is the point)",
}
# The caller's own account (no id: it can only ever be the caller's): data export, correction, erasure,
# consent, WhatsApp link codes, second-factor enrolment. B erasing B's own account would end the sweep.
SELF_SERVICE_PREFIXES = ("/v1/me", "/v1/auth/mfa")
# Ids the API scopes to the caller: B's thread "sweep-a" is B's own thread, so writing to it may succeed,
# but never shows A's messages.
CALLER_NAMESPACED = {("POST", "/v1/chat/threads/{thread_id}/messages"),
                     ("POST", "/v1/chat/threads/{thread_id}/messages/stream")}
# Parameters naming private resources: B on A's must look exactly like B on a missing one.
PRIVATE = {"order_id", "po_id", "proposal_id", "thread_id", "payment_id"}


def operations() -> list[Operation]:
    spec = create_app().openapi()
    return [Operation(method.upper(), path, op) for path, item in spec["paths"].items()
            for method, op in item.items() if op.get("security")]  # authenticated (OAuth2 bearer) ones


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    if "anyOf" in schema:
        schema = next((s for s in schema["anyOf"] if s.get("type") != "null"), schema["anyOf"][0])
        return _resolve(schema, components)
    return schema


def sample(schema: dict[str, Any], components: dict[str, Any], ids: dict[str, Any], name: str = "") -> Any:
    """A valid value for `schema`, naming A's resources wherever a field is one of `ids`."""
    if name in ids:
        return ids[name]
    schema = _resolve(schema, components)
    if schema.get("examples"):
        return schema["examples"][0]
    if schema.get("default") is not None:
        return schema["default"]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        wanted = [k for k in props if k in schema.get("required", []) or k in ids]
        return {k: sample(props[k], components, ids, k) for k in wanted}
    if kind == "array":
        return [sample(schema.get("items", {}), components, ids)] * max(1, schema.get("minItems", 1))
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return False
    return "x" * max(3, schema.get("minLength", 3))


@dataclass
class Party:
    headers: dict[str, str]
    ids: dict[str, Any]  # A's resources, by parameter / field name
    missing: dict[str, Any]  # ids of nothing, same names
    markers: tuple[str, ...]  # A's data that must never reach B


def _url(op: Operation, values: dict[str, Any]) -> str:
    path = op.path
    for name in op.path_params:
        if name not in values:
            raise LookupError(f"{op}: the sweep has no value for path parameter {name!r}; add A's resource to ids")
        path = path.replace("{" + name + "}", str(values[name]))
    return path


def _call(client: TestClient, op: Operation, headers: dict[str, str], values: dict[str, Any]) -> Any:
    spec = client.app.openapi()  # type: ignore[attr-defined]
    components = spec.get("components", {}).get("schemas", {})
    query = {p["name"]: values[p["name"]] for p in op.spec.get("parameters", [])
             if p["in"] == "query" and p["name"] in values}
    body = None
    content = op.spec.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        body = sample(content["application/json"]["schema"], components, values)
    return client.request(op.method, _url(op, values), params=query, json=body, headers=headers)


def _setup(client: TestClient, platform: Platform, a_email: str) -> dict[str, Any]:
    """A's resources: an order, a chat thread with a secret word, a reorder proposal and its purchase order."""
    result = platform.bus.handle(RunReorderCycle(cycle_id="sweep"))
    cafe = next(p for p in result.proposals if p.seller_id == "SEL-CAFE" and p.purchase_order_id)
    a = auth_headers(client, a_email)
    said = client.post("/v1/chat/threads/sweep-a/messages", json={"message": f"hola, me llamo {SECRET_WORD}"},
                       headers=a)
    assert said.status_code == 200, said.text
    return {"order_id": "ORD-1001", "sku": "CAF-001", "seller_id": "SEL-CAFE", "po_id": cafe.purchase_order_id,
            "proposal_id": cafe.id, "thread_id": "sweep-a", "user_id": user_row(platform, a_email).id,
            "payment_id": "PAY-ORD-1001-1", "reason": "barrido de autorización",
            "_headers": a}


MISSING = {"order_id": "ORD-999999", "sku": "NOP-999", "seller_id": "SEL-NADA", "po_id": "PO-9999",
           "proposal_id": 2_000_000_000, "thread_id": "sweep-nunca", "user_id": 2_000_000_000,
           "payment_id": "PAY-ORD-999999-1"}


def sweep(client: TestClient, platform: Platform, a_email: str, b_email: str, markers: tuple[str, ...],
          owned: set[str]) -> list[str]:
    """Every failure found (empty when the sweep is green). `owned`: the ids that are A's own (A reads them)."""
    ids = _setup(client, platform, a_email)
    a_headers = ids.pop("_headers")
    b_headers = auth_headers(client, b_email)
    failures: list[str] = []
    # Caller-namespaced writes last: B's own thread "sweep-a" must not exist yet when B reads "sweep-a".
    ordered = sorted(operations(), key=lambda op: (op.method, op.path) in CALLER_NAMESPACED)
    for op in ordered:
        if (op.method, op.path) in NOT_OWNED or op.path.startswith(SELF_SERVICE_PREFIXES):
            continue
        namespaced = (op.method, op.path) in CALLER_NAMESPACED
        try:
            response = _call(client, op, b_headers, ids)
        except LookupError as exc:
            failures.append(str(exc))
            continue
        text = response.text
        for value in ids.values():  # an echo of the id B sent is not A's data
            text = text.replace(str(value), "")
        # B's own chat turn may name public catalog products; A's words are what must not appear.
        if leaked := [m for m in ((SECRET_WORD,) if namespaced else markers) if m.lower() in text.lower()]:
            failures.append(f"{op}: {response.status_code} shows A's data {leaked}: {response.text[:200]}")
        if namespaced:
            continue
        names_a = bool(op.path_params) or (op.method != "GET" and "requestBody" in op.spec)
        if names_a and response.status_code not in (403, 404):
            failures.append(f"{op}: B on A's resource got {response.status_code}: {response.text[:200]}")
        elif not names_a and response.status_code not in (200, 403):
            failures.append(f"{op}: B's own list answered {response.status_code}: {response.text[:200]}")
        if private := [p for p in op.path_params if p in PRIVATE]:
            other = _call(client, op, b_headers, {**ids, **{p: MISSING[p] for p in private}})
            swapped = other.text
            for p in private:
                swapped = swapped.replace(str(MISSING[p]), str(ids[p]))
            if (other.status_code, swapped) != (response.status_code, response.text):
                failures.append(f"{op}: A's resource ({response.status_code} {response.text[:120]}) does not "
                                f"answer like a missing one ({other.status_code} {other.text[:120]})")
        if op.method == "GET" and op.path_params and set(op.path_params) <= owned:  # the ids are real: A gets them
            own = _call(client, op, a_headers, ids)
            if own.status_code != 200:
                failures.append(f"{op}: A's own request got {own.status_code}: the sweep's ids are wrong")
    return failures


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_buyer_b_gets_nothing_of_buyer_a(client: TestClient, platform: Platform) -> None:
    failures = sweep(client, platform, LAURA, ANDRES, markers=(SECRET_WORD, "BUY-001", "laura", "CAF-001"),
                     owned={"order_id", "thread_id", "payment_id"})
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_seller_b_gets_nothing_of_seller_a(client: TestClient, platform: Platform) -> None:
    failures = sweep(client, platform, CAFE_SELLER, TECH_SELLER,
                     markers=(SECRET_WORD, "SEL-CAFE", "CAF-", "cafeorigen", "ORD-1001"),
                     owned={"order_id", "thread_id", "sku", "seller_id", "po_id", "proposal_id"})
    assert not failures, "\n".join(failures)


def test_the_sweep_covers_every_authenticated_operation() -> None:
    """A new route is swept by itself; this only guards the sweep's own bookkeeping."""
    ops = {(op.method, op.path) for op in operations()}
    assert len(ops) >= 20
    assert ops >= set(NOT_OWNED) | CALLER_NAMESPACED, "an allowlisted operation no longer exists"
    assert ("GET", "/v1/orders/{order_id}") in ops and ("POST", "/v1/reorder/cycles") in ops
