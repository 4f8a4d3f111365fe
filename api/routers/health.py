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


@router.get("/readyz", summary="Readiness: every configured dependency (database, bus, Redis, Chroma, search) answers")
def readyz(platform: PlatformDep) -> JSONResponse:
    results = check_dependencies(platform)
    ready = all(results.values())
    body: dict[str, str] = {"status": "ok" if ready else "unavailable"}
    body.update({name: "ok" if up else "down" for name, up in results.items()})
    body["bus_kind"] = platform.publisher.name
    return JSONResponse(body, status_code=200 if ready else 503)
