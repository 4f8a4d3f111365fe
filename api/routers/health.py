"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import PlatformDep

router = APIRouter(tags=["salud"])


@router.get("/healthz", summary="Liveness: the process answers")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


# A probe's status document, not a problem: load balancers read the status code, people read the parts.
READINESS = {"type": "object", "required": ["status", "database", "bus", "bus_kind"],
             "properties": {"status": {"type": "string"}, "database": {"type": "string"},
                            "bus": {"type": "string"}, "bus_kind": {"type": "string"}}}


@router.get("/readyz", summary="Readiness: the database and the event bus are reachable",
            responses={200: {"content": {"application/json": {"schema": READINESS}}},
                       503: {"description": "La base de datos o el bus de eventos no responden",
                             "content": {"application/json": {"schema": READINESS}}}})
def readyz(platform: PlatformDep) -> JSONResponse:
    database = platform.database_ready()
    bus = platform.publisher.ping()
    body = {"status": "ok" if database and bus else "unavailable", "database": "ok" if database else "down",
            "bus": "ok" if bus else "down", "bus_kind": platform.publisher.name}
    return JSONResponse(body, status_code=200 if database and bus else 503)
