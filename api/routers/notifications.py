"""Live notifications for the web chat page over Server-Sent Events."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Annotated

import anyio
from anyio.to_thread import run_sync
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from api.deps import CurrentPrincipal, PlatformDep, oauth2_scheme, principal_from_token
from api.openapi_problems import event_stream
from commerce.identity.principal import Principal
from commerce.notifications import NotificationRead, list_notifications
from infra.channels.web_push import WebPushHub

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/notifications", tags=["notificaciones"])

HEARTBEAT_SECONDS = 15.0
# How long one wait on the hub may last: bounds how late a disconnect or heartbeat is noticed.
POLL_SECONDS = 1.0
# How long a page's EventSource waits before reconnecting after the stream ends.
RETRY_MILLISECONDS = 5000
# Open pages wait on the hub in worker threads; a limiter of their own keeps many open pages
# from starving the thread pool that serves the synchronous API routes.
STREAM_THREADS = 256

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def get_stream_principal(
    request: Request,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    access_token: Annotated[str | None, Query(description="El token, para EventSource (no envía cabeceras)")] = None,
) -> Principal:
    """The caller, from the Authorization header or the `access_token` query parameter."""
    return principal_from_token(request, token or access_token)


def get_web_push(request: Request) -> WebPushHub:
    hub: WebPushHub | None = getattr(request.app.state, "web_push", None)
    if hub is None:
        raise RuntimeError("app.state.web_push is not configured")
    return hub


def _stream_limiter(request: Request) -> anyio.CapacityLimiter:
    """One limiter per app, created inside its event loop."""
    limiter: anyio.CapacityLimiter | None = getattr(request.app.state, "notification_threads", None)
    if limiter is None:
        limiter = request.app.state.notification_threads = anyio.CapacityLimiter(STREAM_THREADS)
    return limiter


def sse_event(name: str, data: object) -> str:
    """One SSE frame; JSON has no raw newlines, so a single data line suffices."""
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def _notification_frames(request: Request, hub: WebPushHub, user_id: int) -> AsyncIterator[str]:
    # Subscribing inside the body ties the subscription's life to the response: it is closed
    # however the response ends. The first frame tells the client it is now listening.
    limiter = _stream_limiter(request)
    try:
        subscription = await run_sync(hub.subscribe, user_id, limiter=limiter)
    except Exception:
        log.exception("notification stream: cannot subscribe")  # the page's EventSource retries
        return
    try:
        yield f"retry: {RETRY_MILLISECONDS}\n: conectado\n\n"
        last_frame = time.monotonic()
        while not await request.is_disconnected():
            payload = await run_sync(subscription.get, POLL_SECONDS, limiter=limiter)
            if payload is not None:
                yield sse_event("notification", payload)
                last_frame = time.monotonic()
            elif time.monotonic() - last_frame >= HEARTBEAT_SECONDS:
                yield ": ping\n\n"
                last_frame = time.monotonic()
    except Exception:
        log.exception("notification stream failed")  # e.g. Redis went away; the page reconnects
    finally:
        subscription.close()


@router.get("", response_model=list[NotificationRead],
            summary="The caller's recent notifications (what a closed page missed), newest first")
def recent_notifications(principal: CurrentPrincipal, platform: PlatformDep,
                         limit: Annotated[int, Query(ge=1, le=100)] = 20) -> list[NotificationRead]:
    with platform.read_uow() as uow:
        return list_notifications(uow=uow, principal=principal, limit=limit)


@router.get("/stream", summary="Live notifications of the caller (Server-Sent Events)",
            response_class=StreamingResponse,
            responses=event_stream("Eventos `notification` con un JSON; `: ping` cada 15 s"))
async def notification_stream(
    request: Request,
    principal: Annotated[Principal, Depends(get_stream_principal)],
    hub: Annotated[WebPushHub, Depends(get_web_push)],
) -> StreamingResponse:
    """`event: notification` frames with a JSON payload (`text` in Spanish); `: ping` every 15 s."""
    return StreamingResponse(_notification_frames(request, hub, principal.user_id), media_type="text/event-stream",
                             headers=SSE_HEADERS)
