"""Every error leaves the API as an RFC 9457 problem (`application/problem+json`) with a Spanish `detail`.

A problem has `type` (a URI naming the kind of error), `title` (its Spanish summary, the same for
every occurrence), `status`, `detail` (what happened this time, in Spanish, always a string) and
`instance` (the request path), plus two extension members: `code` (the stable identifier clients
branch on, e.g. `out_of_stock`) and, on validation errors, `errors` (one entry per bad field).
Domain errors, FastAPI's validation, Starlette's own 404/405, the body-size 413, the rate-limit
429 and unexpected 500s all go through `problem_response`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from commerce.shared import errors

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
# Tag URIs (RFC 4151) name the kinds of problem without promising a page to fetch (RFC 9457 §3.1.1).
TYPE_PREFIX = "tag:mestocker.co,2026:problemas/"

STATUS_BY_ERROR: list[tuple[type[errors.CommerceError], int]] = [
    (errors.NotAuthenticated, 401),
    (errors.NotAuthorized, 403),
    (errors.NotFound, 404),
    (errors.OutOfStock, 409),
    (errors.IllegalTransition, 409),
    (errors.Conflict, 409),
    (errors.PaymentDeclined, 402),
    (errors.InvalidInput, 422),
]

TITLES: dict[int, str] = {
    400: "Solicitud mal formada",
    401: "Autenticación requerida",
    402: "Pago rechazado",
    403: "Acceso denegado",
    404: "Recurso no encontrado",
    405: "Método no permitido",
    406: "Formato de respuesta no disponible",
    409: "Conflicto con el estado actual",
    413: "Cuerpo de la solicitud demasiado grande",
    415: "Tipo de contenido no soportado",
    422: "Datos inválidos",
    429: "Demasiadas solicitudes",
    500: "Error interno",
    503: "Servicio no disponible",
}

# The `code` of errors that are only an HTTP status (Starlette's, or an HTTPException in a route).
CODES: dict[int, str] = {
    400: "bad_request", 401: errors.NotAuthenticated.code, 403: errors.NotAuthorized.code,
    404: errors.NotFound.code, 405: "method_not_allowed", 406: "not_acceptable", 409: errors.Conflict.code,
    413: "payload_too_large", 415: "unsupported_media_type", 422: "validation_error", 429: "rate_limited",
    500: "internal_error", 503: "service_unavailable",
}

_STARLETTE_DETAILS: dict[tuple[int, str], str] = {
    (404, "Not Found"): "Recurso no encontrado.",
    (405, "Method Not Allowed"): "Método no permitido para este recurso.",
    (400, "There was an error parsing the body"):
        "El cuerpo de la solicitud no es válido (¿JSON o formulario mal formado?).",
}

INTERNAL_ERROR = "Error interno: ya lo estamos revisando. Intenta de nuevo en un momento."

_MESSAGES: dict[str, str] = {
    "missing": "es obligatorio",
    "int_parsing": "debe ser un número entero",
    "int_type": "debe ser un número entero",
    "int_from_float": "debe ser un número entero",
    "string_type": "debe ser texto",
    "list_type": "debe ser una lista",
    "dict_type": "debe ser un objeto",
    "model_attributes_type": "debe ser un objeto",
    "json_invalid": "el cuerpo no es JSON válido",
    "json_type": "el cuerpo no es JSON válido",
    "extra_forbidden": "no es un campo permitido",
    "bool_parsing": "debe ser verdadero o falso",
    "string_pattern_mismatch": "tiene caracteres no permitidos",
}


# --- The schema (OpenAPI components `Problem` and `ValidationProblem`) ------------------------


class Problem(BaseModel):
    """An error, as RFC 9457 problem details (`application/problem+json`)."""

    type: str = Field(description="URI que identifica el tipo de problema", examples=[TYPE_PREFIX + "not_found"])
    title: str = Field(description="Resumen del tipo de problema, en español", examples=["Recurso no encontrado"])
    status: int = Field(ge=400, le=599, description="El código de estado HTTP", examples=[404])
    detail: str = Field(description="Qué pasó, en español", examples=["No existe el pedido ORD-9999."])
    instance: str = Field(description="La ruta de la solicitud que falló", examples=["/v1/orders/ORD-9999"])
    code: str = Field(description="Identificador estable del error, para programas", examples=["not_found"])


class FieldProblem(BaseModel):
    """One invalid field of a request."""

    location: str = Field(description="body, query, path, header o cookie", examples=["body"])
    field: str = Field(description="El campo, con puntos (p. ej. lines.0.quantity)", examples=["lines.0.quantity"])
    message: str = Field(description="Qué tiene mal, en español", examples=["debe ser un número entero"])
    pointer: str | None = Field(default=None, description="JSON Pointer (RFC 6901) al campo del cuerpo",
                                examples=["#/lines/0/quantity"])


class ValidationProblem(Problem):
    """A request that did not validate (422), with one entry per invalid field."""

    errors: list[FieldProblem]


# --- Building problems ------------------------------------------------------------------------


def status_for(exc: errors.CommerceError) -> int:
    for cls, status in STATUS_BY_ERROR:
        if isinstance(exc, cls):
            return status
    return 400


def title_for(status: int) -> str:
    if status in TITLES:
        return TITLES[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_body(status: int, detail: str, *, instance: str, code: str | None = None,
                 **extensions: Any) -> dict[str, Any]:
    """The problem document for `status`; `code` names the kind (default: the status's generic code)."""
    kind = code or CODES.get(status, f"http_{status}")
    if status == 422:  # a domain rule's refusal names no field, but every 422 has the same shape
        extensions.setdefault("errors", [])
    return {"type": TYPE_PREFIX + kind, "title": title_for(status), "status": status, "detail": detail,
            "instance": instance, "code": kind, **extensions}


def problem_response(status: int, detail: str, *, instance: str, code: str | None = None,
                     headers: Mapping[str, str] | None = None, **extensions: Any) -> JSONResponse:
    return JSONResponse(problem_body(status, detail, instance=instance, code=code, **extensions),
                        status_code=status, headers=dict(headers) if headers else None,
                        media_type=PROBLEM_MEDIA_TYPE)


def commerce_error_body(exc: errors.CommerceError, *, instance: str) -> dict[str, Any]:
    return problem_body(status_for(exc), exc.message, instance=instance, code=exc.code)


def json_or_problem(payload: dict[str, Any], status: int, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """A stored JSON answer (e.g. an idempotent replay), labelled a problem when it is an error."""
    return JSONResponse(payload, status_code=status, headers=dict(headers) if headers else None,
                        media_type=PROBLEM_MEDIA_TYPE if status >= 400 else None)


def _describe(error: Mapping[str, Any]) -> dict[str, Any]:
    kind = error.get("type", "")
    raw_loc = [str(part) for part in error.get("loc", ())]
    location = raw_loc[0] if raw_loc and raw_loc[0] in ("body", "query", "path", "header", "cookie") else "body"
    loc = [] if kind.startswith("json_") else [part for part in raw_loc[1:] if location == "body" or part]
    field = ".".join(loc) or "cuerpo"
    ctx = error.get("ctx") or {}
    if kind == "greater_than":
        message = f"debe ser mayor que {ctx.get('gt')}"
    elif kind == "greater_than_equal":
        message = f"debe ser mayor o igual que {ctx.get('ge')}"
    elif kind == "less_than":
        message = f"debe ser menor que {ctx.get('lt')}"
    elif kind == "less_than_equal":
        message = f"debe ser menor o igual que {ctx.get('le')}"
    elif kind in ("too_short", "string_too_short"):
        message = f"es demasiado corto (mínimo {ctx.get('min_length')})"
    elif kind in ("too_long", "string_too_long"):
        message = f"es demasiado largo (máximo {ctx.get('max_length')})"
    else:
        message = _MESSAGES.get(kind, "tiene un valor inválido")
    pointer = "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in loc) if location == "body" else None
    return {"location": location, "field": field, "message": message, "pointer": pointer}


def _http_detail(exc: StarletteHTTPException) -> str:
    detail = exc.detail
    if not isinstance(detail, str):
        return title_for(exc.status_code) + "."
    return _STARLETTE_DETAILS.get((exc.status_code, detail), detail)


def install(app: FastAPI) -> None:
    """Register the handlers that turn exceptions into Spanish problem details."""

    @app.exception_handler(errors.CommerceError)
    async def _commerce(request: Request, exc: errors.CommerceError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, errors.NotAuthenticated) else None
        return problem_response(status_for(exc), exc.message, instance=request.url.path, code=exc.code,
                                headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [_describe(e) for e in exc.errors()]
        summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems[:5])
        return problem_response(422, f"Solicitud inválida — {summary}.", instance=request.url.path,
                                errors=problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(exc.status_code, _http_detail(exc), instance=request.url.path, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return problem_response(500, INTERNAL_ERROR, instance=request.url.path)
