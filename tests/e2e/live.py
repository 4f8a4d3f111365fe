"""A real uvicorn server in a thread, the web app with its routers, and a fake chat service.

Shared by the browser tests and the SSE tests: Starlette's TestClient buffers whole responses,
so an endless Server-Sent Events stream needs a real server.
"""

from __future__ import annotations

import json
import re
import threading
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import uvicorn
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.routing import Match

from agents.turns import ChatEvent, PendingConfirmation, ToolCallRead, ToolStatus, TurnResult
from api.app import create_app
from api.deps import CurrentPrincipal
from api.routers import notifications, web
from commerce.identity.principal import Principal
from infra.bootstrap import Platform
from tests.services import free_port


def has_route(app: FastAPI, method: str, path: str) -> bool:
    """Whether a request `method path` would reach an endpoint (also through included routers)."""
    scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": [], "query_string": b""}
    return any(route.matches(scope)[0] == Match.FULL for route in app.router.routes)


def build_web_app(platform: Platform) -> FastAPI:
    """The API app with the page and notification routers, whether or not create_app includes them yet."""
    app = create_app(platform, background_worker=False)
    if not has_route(app, "GET", "/"):
        app.include_router(web.router)
    if not has_route(app, "GET", "/v1/notifications/stream"):
        app.include_router(notifications.router)
    return app


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run `app` (lifespan included) on a free loopback port; yield its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning",
                                           lifespan="on", timeout_graceful_shutdown=5))
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


# --------------------------------------------------------------------------------------------
# Fake chat service and the two chat routes (used until api/routers/chat.py is registered)
# --------------------------------------------------------------------------------------------


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().strip(" .!¡?¿")


@dataclass
class FakeChat:
    """A scripted `Chat`: a stock answer for CAF-001 and a price change that asks for confirmation."""

    received: list[tuple[str, str, str]] = field(default_factory=list)
    _pending: dict[str, PendingConfirmation] = field(default_factory=dict)

    def send(self, *, principal: Principal, thread_id: str, message: str, channel: str = "web") -> TurnResult:
        self.received.append((principal.email, thread_id, message))
        routing = {"model": "fake-offline", "classification": "interno"}
        pending = self._pending.pop(thread_id, None)
        text = _plain(message)
        if pending is not None and text in ("si", "no"):
            status: ToolStatus = "ok" if text == "si" else "cancelled"
            reply = "Listo: el precio de CAF-001 ahora es $42.000." if text == "si" else "Listo, no cambié nada."
            return TurnResult(thread_id=thread_id, agent="seller", reply=reply, routing=routing,
                              tool_calls=[ToolCallRead(name=pending.tool, args=pending.args, status=status)])
        if "precio" in text:
            pending = PendingConfirmation(tool="update_price", args={"sku": "CAF-001", "price_cop": 42000},
                                          question="Vas a cambiar el precio de CAF-001 a $42.000. ¿Confirmas? (sí/no)")
            self._pending[thread_id] = pending
            return TurnResult(thread_id=thread_id, agent="seller", reply=pending.question, routing=routing,
                              pending_confirmation=pending,
                              tool_calls=[ToolCallRead(name="update_price", args=pending.args,
                                                       status="pending_confirmation")])
        if re.search(r"caf-?001", text):
            return TurnResult(thread_id=thread_id, agent="inventory", routing=routing,
                              reply="Hay 120 unidades disponibles de CAF-001 (Café especial Huila 500 g).",
                              tool_calls=[ToolCallRead(name="get_stock", args={"sku": "CAF-001"}, status="ok")])
        return TurnResult(thread_id=thread_id, agent="support", routing=routing,
                          reply="No entendí tu mensaje. ¿Me lo explicas de otra forma?")


    def stream(self, *, principal: Principal, thread_id: str, message: str, channel: str = "web"
               ) -> Iterator[ChatEvent]:
        """The same turn as step events, like agents.chat.ChatService.stream."""
        result = self.send(principal=principal, thread_id=thread_id, message=message, channel=channel)
        yield ChatEvent(type="agent", data={"agent": result.agent})
        for call in result.tool_calls:
            yield ChatEvent(type="tool_call", data=call.model_dump())
        for word in result.reply.split(" "):
            yield ChatEvent(type="token", data={"text": word + " "})
        yield ChatEvent(type="final", data=result.model_dump(mode="json"))


def _frames(events: Iterator[ChatEvent]) -> Iterator[str]:
    for event in events:
        yield f"event: {event.type}\ndata: {json.dumps(event.data, ensure_ascii=False)}\n\n"


class MessageIn(BaseModel):
    message: str = Field(min_length=1, max_length=4000)


def fake_chat_router() -> APIRouter:
    """The two chat endpoints of issue 3, calling `app.state.chat`."""
    router = APIRouter(prefix="/v1/chat", tags=["chat (fake)"])

    @router.post("/threads/{thread_id}/messages", response_model=TurnResult)
    def send(thread_id: str, body: MessageIn, request: Request, principal: CurrentPrincipal) -> TurnResult:
        result: TurnResult = request.app.state.chat.send(principal=principal, thread_id=thread_id,
                                                         message=body.message)
        return result

    @router.post("/threads/{thread_id}/messages/stream")
    def stream(thread_id: str, body: MessageIn, request: Request, principal: CurrentPrincipal) -> StreamingResponse:
        events = request.app.state.chat.stream(principal=principal, thread_id=thread_id, message=body.message)
        return StreamingResponse(_frames(events), media_type="text/event-stream")

    return router


def install_chat(app: FastAPI) -> FakeChat | None:
    """Use the real chat routes when registered; otherwise add the fake ones. Returns the fake, if used."""
    if has_route(app, "POST", "/v1/chat/threads/t-1/messages"):
        return None
    chat = FakeChat()
    app.state.chat = chat
    app.include_router(fake_chat_router())
    return chat
