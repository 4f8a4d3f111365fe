"""Request bodies above `MESTOCKER_MAX_REQUEST_BYTES` are refused with a 413 problem.

A declared `Content-Length` over the limit is refused before the route runs; a body without one
(chunked) is counted as it is read, and the read that crosses the limit raises the 413, which the
route's exception handling turns into the same problem.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem_response

TOO_LARGE = "El cuerpo de la solicitud es demasiado grande (máximo {limit} bytes)."


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        platform = getattr(getattr(scope.get("app"), "state", None), "platform", None)
        if scope["type"] != "http" or platform is None:
            await self.app(scope, receive, send)
            return
        limit: int = platform.settings.max_request_bytes
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            response = problem_response(413, TOO_LARGE.format(limit=limit), instance=scope["path"])
            await response(scope, receive, send)
            return
        received = 0

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, detail=TOO_LARGE.format(limit=limit))
            return message

        await self.app(scope, bounded_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
