"""Chat over HTTP: one turn as JSON, or the same turn streamed as Server-Sent Events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import chain
from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from agents.chat import MAX_MESSAGE_CHARS
from agents.turns import ChatEvent, TurnResult
from api.deps import ChatDep, CurrentPrincipal, PlatformDep
from api.openapi_problems import event_stream
from api.rate_limits import ChatTurnQuota
from commerce.identity.channels import WEB, RecordChannelUse
from commerce.identity.principal import Principal
from infra.bootstrap import Platform

router = APIRouter(prefix="/v1/chat", tags=["chat"])
ThreadId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:\-]+$",
                               description="Identificador de la conversación (lo elige el cliente)")]


class MessageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    message: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS, examples=["¿Cuánto café hay en Bogotá?"])


@router.post("/threads/{thread_id}/messages", response_model=TurnResult,
             summary="Send a message and get the assistant's turn (agent, reply, tool calls, routing)")
def send_message(thread_id: ThreadId, body: MessageCreate, chat: ChatDep, principal: CurrentPrincipal,
                 platform: PlatformDep, _quota: ChatTurnQuota) -> TurnResult:
    _used_web(platform, principal)
    return chat.send(principal=principal, thread_id=thread_id, message=body.message, channel="web")


@router.post("/threads/{thread_id}/messages/stream", response_class=StreamingResponse,
             summary="The same turn as Server-Sent Events: agent, tool_call, token… then final",
             responses=event_stream("Eventos `agent`, `tool_call`, `token`… y al final `final` (o `error`)"))
def stream_message(thread_id: ThreadId, body: MessageCreate, chat: ChatDep,
                   principal: CurrentPrincipal, platform: PlatformDep, _quota: ChatTurnQuota) -> StreamingResponse:
    _used_web(platform, principal)
    events = chat.stream(principal=principal, thread_id=thread_id, message=body.message, channel="web")
    first = next(events)  # bad input fails here, as a plain HTTP error, before the stream starts
    return StreamingResponse(_sse(chain([first], events)), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/threads/{thread_id}", summary="The visible messages of one of your conversations")
def get_thread(thread_id: ThreadId, chat: ChatDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return {"thread_id": thread_id, "messages": chat.history(principal=principal, thread_id=thread_id)}


def _used_web(platform: Platform, principal: Principal) -> None:
    """The web chat becomes the channel proactive notifications use for this user."""
    platform.bus.handle(RecordChannelUse(user_id=principal.user_id, channel=WEB))


def _sse(events: Iterator[ChatEvent]) -> Iterator[str]:
    try:
        for event in events:
            yield f"event: {event.type}\ndata: {json.dumps(event.data, ensure_ascii=False)}\n\n"
    except Exception:  # the stream has started: report in-band instead of cutting the connection
        error = {"detail": "No pudimos completar la respuesta. Intenta de nuevo."}
        yield f"event: error\ndata: {json.dumps(error, ensure_ascii=False)}\n\n"
