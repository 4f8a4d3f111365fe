"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import PlatformDep

router = APIRouter(tags=["salud"])


@router.get("/healthz", summary="Liveness: the process answers")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: the database and the event bus are reachable")
def readyz(platform: PlatformDep) -> JSONResponse:
    database = platform.database_ready()
    bus = platform.publisher.ping()
    body: dict[str, object] = {"status": "ok" if database and bus else "unavailable",
                               "database": "ok" if database else "down", "bus": "ok" if bus else "down",
                               "bus_kind": platform.publisher.name}
    warnings = platform.key_warnings()
    if warnings:  # still ready: an old key is a maintenance task, not an outage
        body["warnings"] = warnings
    return JSONResponse(body, status_code=200 if database and bus else 503)
