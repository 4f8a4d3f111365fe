"""Every operation declares its error responses in OpenAPI, with the `Problem` schema.

`declare_error_responses(app)` (called once every router is included) makes the app's OpenAPI
document add, to every operation, the problems the platform can answer with: 500 always, 429
unless the path is exempt from rate limits, 401/403 when it takes a token, 400/413 when it takes
a body, 404/422 when it takes any input, 409 on writes. It reads what each operation takes from
the document FastAPI generates from the routes (security, parameters, request body), so a new
route is covered by itself. A route's own `responses=` entries keep their description and get the
problem content when they have none; FastAPI's default 422 schema is replaced by
`ValidationProblem`.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic.json_schema import models_json_schema

from api.errors import PROBLEM_MEDIA_TYPE, FieldProblem, Problem, ValidationProblem, title_for
from api.rate_limits import RATE_LIMITED_RESPONSE, is_exempt

REF = "#/components/schemas/{model}"
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})
BODY_METHODS = frozenset({"post", "put", "patch"})
# Paths that check credentials in the request itself (passwords, refresh tokens, client secrets).
CREDENTIAL_PREFIXES = ("/v1/auth/",)


def event_stream(description: str) -> dict[int | str, dict[str, Any]]:
    """A 200 response of Server-Sent Events; the schema describes one event (`data` holds JSON)."""
    event = {"type": "object", "required": ["data"],
             "properties": {"event": {"type": "string"}, "data": {"type": "string", "description": "JSON"},
                            "id": {"type": "string"}, "retry": {"type": "integer"}}}
    return {200: {"description": description, "content": {"text/event-stream": {"schema": event}}}}


def error_statuses(path: str, method: str, operation: dict[str, Any]) -> list[int]:
    """The error statuses an operation may answer, from what it takes and how it is called."""
    statuses = {500}
    if not is_exempt(path):
        statuses.add(429)
    if operation.get("security"):
        statuses |= {401, 403}
    elif path.startswith(CREDENTIAL_PREFIXES):
        statuses.add(401)
    if method in BODY_METHODS:
        statuses |= {400, 413}
    if operation.get("parameters") or operation.get("requestBody") or method in BODY_METHODS:
        statuses |= {404, 422}
    if method in WRITE_METHODS:
        statuses.add(409)
    return sorted(statuses)


def _problem_content(status: int) -> dict[str, Any]:
    model = ValidationProblem if status == 422 else Problem
    return {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": REF.format(model=model.__name__)}}}


def add_problem_responses(document: dict[str, Any]) -> dict[str, Any]:
    """Declare the problem responses on every operation of `document` (idempotent) and add the schemas."""
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status in error_statuses(path, method, operation):
                declared = responses.setdefault(str(status), {})
                if not declared.get("description") or (status == 422 and "Problem" not in str(declared)):
                    declared["description"] = title_for(status)
                if status == 422 or not declared.get("content"):
                    declared["content"] = _problem_content(status)
                if status == 429:
                    declared.setdefault("headers", RATE_LIMITED_RESPONSE["headers"])
            for status_key, declared in responses.items():  # errors a route declared itself
                if status_key[:1] in ("4", "5") and status_key.isdigit() and not declared.get("content"):
                    declared["content"] = _problem_content(int(status_key))
    _, definitions = models_json_schema(
        [(model, "serialization") for model in (Problem, ValidationProblem, FieldProblem)], ref_template=REF)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(definitions["$defs"])
    for unused in ("HTTPValidationError", "ValidationError"):  # FastAPI's 422 schema, replaced above
        schemas.pop(unused, None)
    return document


def declare_error_responses(app: FastAPI) -> None:
    """Make `app`'s OpenAPI document declare the problem responses of every operation."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        return add_problem_responses(build())

    app.openapi = openapi  # type: ignore[method-assign]
