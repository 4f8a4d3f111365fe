"""`GET /metrics`: Prometheus text format (docs/performance.md lists the metrics)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from infra.metrics import exposition

router = APIRouter(tags=["operación"])


@router.get("/metrics", include_in_schema=False)
def metrics() -> Response:
    body, content_type = exposition()
    return Response(body, media_type=content_type)
