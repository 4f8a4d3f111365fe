"""The result every tool returns, and the translation of domain errors into it.

`{"status": "ok" | "denied" | "error" | "cancelled" | "not_found", "message": <es-CO>, "data": ...}`
(docs/agents-contract.md). A tool never raises to the model: typed domain errors and validation
errors become a Spanish result here.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal, ParamSpec, get_args

from pydantic import BaseModel, ValidationError
from pydantic.v1 import ValidationError as ValidationErrorV1

from commerce.shared.clock import to_bogota
from commerce.shared.errors import CommerceError, NotAuthenticated, NotAuthorized, NotFound

log = logging.getLogger(__name__)

Status = Literal["ok", "denied", "error", "cancelled", "not_found"]
# The same list as values, for code that checks a status it read back from a message.
STATUSES: tuple[Status, ...] = get_args(Status)
ToolResult = dict[str, Any]
P = ParamSpec("P")

DENIED_DEFAULT = "No tienes permiso para ver o hacer eso."


def result(status: Status, message: str, data: Any = None) -> ToolResult:
    return {"status": status, "message": message, "data": to_data(data)}


def ok(message: str, data: Any = None) -> ToolResult:
    return result("ok", message, data)


def denied(message: str = DENIED_DEFAULT) -> ToolResult:
    # Never data: a refusal must not leak what the caller may not see.
    return result("denied", message or DENIED_DEFAULT, None)


def error(message: str) -> ToolResult:
    return result("error", message, None)


def not_found(message: str) -> ToolResult:
    return result("not_found", message, None)


def cancelled(message: str) -> ToolResult:
    return result("cancelled", message, None)


def from_commerce_error(exc: CommerceError) -> ToolResult:
    """NotAuthorized/NotAuthenticated → denied, NotFound → not_found, any other domain error → error."""
    if isinstance(exc, NotAuthorized | NotAuthenticated):
        return denied(exc.message)
    if isinstance(exc, NotFound):
        return not_found(exc.message)
    return error(exc.message)


_FIELDS = {
    "sku": "el SKU", "quantity": "la cantidad", "price_cop": "el precio", "lines": "el pedido",
    "warehouse": "la bodega", "from_warehouse": "la bodega de origen", "to_warehouse": "la bodega de destino",
    "reason": "el motivo", "summary": "el resumen", "query": "la búsqueda", "order_id": "el pedido",
    "days": "el número de días", "limit": "el número de productos", "max_price_cop": "el precio máximo",
    "proposal_id": "la propuesta", "status": "el estado",
}


def _problem(err: Any) -> str:
    kind, ctx = err.get("type", ""), err.get("ctx") or {}
    if kind == "greater_than":
        return f"debe ser mayor que {ctx.get('gt', 0)}"
    if kind == "greater_than_equal":
        return f"debe ser al menos {ctx.get('ge')}"
    if kind in ("less_than_equal", "less_than"):
        return f"debe ser como máximo {ctx.get('le', ctx.get('lt'))}"
    if kind == "string_too_short":
        return "no puede estar vacío" if ctx.get("min_length", 1) <= 1 else f"es muy corto (mínimo {ctx['min_length']})"
    if kind == "string_too_long":
        return f"es muy largo (máximo {ctx.get('max_length')} caracteres)"
    if kind == "too_short":
        return "debe tener al menos un producto"
    if kind == "too_long":
        return f"tiene demasiados elementos (máximo {ctx.get('max_length')})"
    if kind == "missing":
        return "es obligatorio"
    if kind.startswith("int_"):
        return "debe ser un número entero"
    if kind.startswith("string_"):
        return "debe ser texto"
    return "no es válido"


def from_validation_error(exc: ValidationError) -> ToolResult:
    """A Spanish sentence per invalid field: "La cantidad debe ser mayor que 0."."""
    sentences = []
    for err in exc.errors()[:3]:
        names = [str(p) for p in err.get("loc", ()) if isinstance(p, str)]
        field = _FIELDS.get(names[-1], f"el campo «{names[-1]}»") if names else "un dato"
        sentences.append(f"{field[0].upper()}{field[1:]} {_problem(err)}.")
    return error(" ".join(sentences) or "Los datos de la solicitud no son válidos.")


def validation_error_content(exc: ValidationError | ValidationErrorV1) -> str:
    """For LangChain's `handle_validation_error`: bad tool arguments become the same JSON result."""
    if isinstance(exc, ValidationErrorV1):
        return json.dumps(error("Los datos de la solicitud no son válidos."), ensure_ascii=False)
    return json.dumps(from_validation_error(exc), ensure_ascii=False)


def guarded(fn: Callable[P, ToolResult]) -> Callable[P, ToolResult]:
    """Turn domain and validation errors raised by a tool body into results (interrupts pass through)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> ToolResult:
        try:
            return fn(*args, **kwargs)
        except CommerceError as exc:
            return from_commerce_error(exc)
        except ValidationError as exc:
            return from_validation_error(exc)

    return wrapper


def to_data(value: Any) -> Any:
    """JSON-ready data: pydantic models dumped, datetimes as ISO 8601 in Bogotá time."""
    if isinstance(value, BaseModel):
        return to_data(value.model_dump(mode="python"))
    if isinstance(value, dict):
        return {str(k): to_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_data(v) for v in value]
    if isinstance(value, datetime):
        return to_bogota(value).isoformat(timespec="seconds")
    return value


def when(moment: datetime | None) -> str:
    """A moment in Bogotá time as people in Colombia read it: 14/03/2025 15:05."""
    if moment is None:
        return "—"
    return f"{to_bogota(moment):%d/%m/%Y %H:%M}"


def count(n: int) -> str:
    """Whole numbers with the Colombian thousands separator: 1784 -> '1.784'."""
    return f"{n:,}".replace(",", ".")
