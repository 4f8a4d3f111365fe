"""The operator console: `/console` (a static page like the web chat) and the two small reads it needs
beyond the existing APIs: the outbox backlog (staff) and a summary of the last eval report.

The page itself draws on the routing log (`GET /v1/routing-logs`, scope routing_logs:read), reorder
proposals (`GET /v1/reorder/proposals`) and the purchase-order approval/rejection endpoints.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse
from pydantic import BaseModel

from api.deps import PlatformDep, ReadSessionDep, holding
from api.routers.web import _asset
from commerce.identity.principal import Principal, Scope
from commerce.shared.clock import as_utc, utcnow
from commerce.shared.outbox import backlog

router = APIRouter(tags=["consola"])

# The outbox is platform plumbing: those who operate the warehouse (staff) see it, sellers do not.
OutboxReader = Annotated[Principal, Depends(holding(
    Scope.FULFILLMENT_WRITE, "Solo el equipo de MeStocker puede ver la cola de eventos."))]
ReportReader = Annotated[Principal, Depends(holding(
    Scope.REORDER_READ, "Tu acceso no incluye la consola de operación."))]


class OutboxBacklog(BaseModel):
    backlog: int
    oldest_at: datetime | None
    lag_seconds: float


class EvalSummary(BaseModel):
    present: bool
    started_at: str | None = None
    model: str | None = None
    gate_passed: bool | None = None
    failures: list[str] = []
    task_success: dict[str, float | None] = {}


@router.get("/console", include_in_schema=False)
def console_page() -> FileResponse:
    return _asset("console.html")


@router.get("/v1/console/outbox", response_model=OutboxBacklog,
            summary="Outbox events not yet published and the age of the oldest (staff)")
def outbox_backlog(session: ReadSessionDep, _staff: OutboxReader) -> OutboxBacklog:
    count, oldest = backlog(session)
    lag = 0.0 if oldest is None else max(0.0, (utcnow() - as_utc(oldest)).total_seconds())
    return OutboxBacklog(backlog=count, oldest_at=oldest, lag_seconds=round(lag, 1))


@router.get("/v1/console/eval-report", response_model=EvalSummary,
            summary="A summary of the last eval report (<data_dir>/evals/report.json), if there is one")
def eval_report(platform: PlatformDep, _reader: ReportReader) -> EvalSummary:
    path = platform.settings.data_dir / "evals" / "report.json"
    try:
        report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return EvalSummary(present=False)
    meta, gate = report.get("meta") or {}, report.get("gate") or {}
    splits = report.get("splits") or {}
    return EvalSummary(
        present=True, started_at=str(meta.get("started_at")) if meta.get("started_at") else None,
        model=str(meta.get("model")) if meta.get("model") else None, gate_passed=bool(gate.get("passed")),
        failures=[str(f) for f in gate.get("failures", [])][:20],
        task_success={str(name): (m or {}).get("task_success") for name, m in splits.items()})
