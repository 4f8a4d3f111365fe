"""Every error leaves the API as JSON with a Spanish `detail` and a precise status code."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from commerce.shared import errors
from infra.metrics import COMMERCE_ERRORS

log = logging.getLogger(__name__)

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
}


def status_for(exc: errors.CommerceError) -> int:
    for cls, status in STATUS_BY_ERROR:
        if isinstance(exc, cls):
            return status
    return 400


def commerce_error_body(exc: errors.CommerceError) -> dict[str, Any]:
    """The JSON of a refused request (and its count on /metrics: OutOfStock is a reservation conflict)."""
    COMMERCE_ERRORS.labels(type(exc).__name__).inc()
    return {"detail": exc.message, "code": exc.code}


def _describe(error: dict[str, Any]) -> dict[str, str]:
    kind = error.get("type", "")
    loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "header")]
    field = "cuerpo" if kind.startswith("json_") else (".".join(loc) or "cuerpo")
    ctx = error.get("ctx") or {}
    if kind == "greater_than":
        message = f"debe ser mayor que {ctx.get('gt')}"
    elif kind == "greater_than_equal":
        message = f"debe ser mayor o igual que {ctx.get('ge')}"
    elif kind == "less_than_equal":
        message = f"debe ser menor o igual que {ctx.get('le')}"
    elif kind in ("too_short", "string_too_short"):
        message = f"es demasiado corto (mínimo {ctx.get('min_length')})"
    elif kind in ("too_long", "string_too_long"):
        message = f"es demasiado largo (máximo {ctx.get('max_length')})"
    else:
        message = _MESSAGES.get(kind, "tiene un valor inválido")
    return {"field": field, "message": message}


def install(app: FastAPI) -> None:
    """Register the handlers that turn exceptions into Spanish JSON errors."""

    @app.exception_handler(errors.CommerceError)
    async def _commerce(_request: Request, exc: errors.CommerceError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, errors.NotAuthenticated) else None
        return JSONResponse(commerce_error_body(exc), status_code=status_for(exc), headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [_describe(e) for e in exc.errors()]
        summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems[:5])
        return JSONResponse({"detail": f"Solicitud inválida — {summary}.", "code": "validation_error",
                             "errors": problems}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail
        if exc.status_code == 404 and detail == "Not Found":
            detail = "Recurso no encontrado."
        elif exc.status_code == 405:
            detail = "Método no permitido para este recurso."
        elif exc.status_code == 400 and detail == "There was an error parsing the body":
            detail = "El cuerpo de la solicitud no es válido (¿JSON o formulario mal formado?)."
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return JSONResponse({"detail": "Error interno: ya lo estamos revisando. Intenta de nuevo en un momento.",
                             "code": "internal_error"}, status_code=500)
