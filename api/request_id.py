"""X-Request-ID: taken from the gateway (Kong) when it sends a sane one, else made here; echoed on the
response and carried (context variable) into the chat turn, so the routing-log rows of a turn carry it."""

from __future__ import annotations

import re
import uuid
from typing import Any

from router.recording import current_request_id

HEADER = b"x-request-id"
_SANE = re.compile(r"[A-Za-z0-9._:-]{1,64}")


class RequestIdMiddleware:
    """Pure ASGI middleware (streams and SSE pass through untouched)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(HEADER, b"").decode("latin-1")
        request_id = given if _SANE.fullmatch(given) else uuid.uuid4().hex

        async def tagged(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (HEADER, request_id.encode())]
            await send(message)

        token = current_request_id.set(request_id)
        try:
            await self.app(scope, receive, tagged)
        finally:
            current_request_id.reset(token)
