"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import PlatformDep
from infra.readiness import check_dependencies

router = APIRouter(tags=["salud"])


@router.get("/healthz", summary="Liveness: the process answers")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


# A probe's status document, not a problem: load balancers read the status code, people read the parts.
READINESS = {"type": "object", "required": ["status", "database", "bus", "bus_kind"],
             "properties": {"status": {"type": "string"}, "database": {"type": "string"},
                            "bus": {"type": "string"}, "bus_kind": {"type": "string"}},
             "additionalProperties": {"type": "string"}}


@router.get("/readyz", summary="Readiness: every configured dependency (database, bus, Redis, Chroma, search) answers",
            responses={200: {"content": {"application/json": {"schema": READINESS}}},
                       503: {"description": "Una dependencia (base de datos, bus, Redis, Chroma, búsqueda) no responde",
                             "content": {"application/json": {"schema": READINESS}}}})
def readyz(platform: PlatformDep) -> JSONResponse:
    results = check_dependencies(platform)
    ready = all(results.values())
    body: dict[str, str] = {"status": "ok" if ready else "unavailable"}
    body.update({name: "ok" if up else "down" for name, up in results.items()})
    body["bus_kind"] = platform.publisher.name
    return JSONResponse(body, status_code=200 if ready else 503)
