"""Privacy: the routing log (admins) and data-subject erasure requests (Ley 1581)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete

from agents.chat import ChatService
from api.chat_wiring import privacy_salt
from api.deps import CurrentPrincipal, PlatformDep
from api.routers.chat import ChatDep
from commerce.identity.principal import Principal
from commerce.shared.errors import NotAuthorized
from commerce.support import SupportTicket
from infra.bootstrap import Platform
from router.log import LlmRoutingLog, forget_principal, hash_principal, query

router = APIRouter(tags=["privacidad"])


class RoutingLogRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime
    request_id: str
    thread_id: str | None
    channel: str | None
    principal_hash: str | None
    agent: str | None
    classification: str
    entities: dict[str, int]
    topics: list[str]
    recognizer_set_version: str
    policy_version: str
    policy_target: str
    model: str | None
    fallback_chain: list[str]
    tried: list[str]
    fallback: bool
    reason: str
    legal_basis: str
    outcome: str
    latency_ms: float
    tokens_in: int | None
    tokens_out: int | None
    masked: bool


class ErasureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    user_id: int | None = Field(default=None, ge=1, le=2**31 - 1,
                                description="Solo administradores: el titular a borrar (si no, tú)")


class ErasureResult(BaseModel):
    routing_logs_anonymised: int
    support_tickets_deleted: int
    conversations_deleted: int


def _require_staff(principal: Principal) -> None:
    if not principal.is_staff:
        raise NotAuthorized("Solo un administrador puede ver el registro de enrutamiento.")


@router.get("/v1/routing-logs", response_model=list[RoutingLogRead],
            summary="Privacy-router decisions, newest first (admins only; no raw personal data)")
def list_routing_logs(platform: PlatformDep, principal: CurrentPrincipal, since: datetime | None = None,
                      limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[RoutingLogRead]:
    _require_staff(principal)
    with platform.read_session_factory() as session:
        return [RoutingLogRead.model_validate(row) for row in query(session, since=since, limit=limit)]


def erase_subject(platform: Platform, chat: ChatService, user_id: int) -> ErasureResult:
    """Delete the subject's conversations and support tickets and anonymise their routing-log rows."""
    with platform.session_factory() as session:
        logs = forget_principal(session, hash_principal(str(user_id), privacy_salt(platform.settings)))
        tickets = session.execute(delete(SupportTicket).where(SupportTicket.user_id == user_id))
        session.commit()
    return ErasureResult(routing_logs_anonymised=logs, support_tickets_deleted=int(getattr(tickets, "rowcount", 0)),
                         conversations_deleted=chat.forget_user(user_id))


@router.post("/v1/privacy/erasure", response_model=ErasureResult,
             summary="Erase the caller's conversations, tickets and log links (an admin may name a user)")
def request_erasure(body: ErasureRequest, platform: PlatformDep, principal: CurrentPrincipal,
                    chat: ChatDep) -> dict[str, Any]:
    target = principal.user_id
    if body.user_id is not None and body.user_id != principal.user_id:
        _require_staff(principal)
        target = body.user_id
    return erase_subject(platform, chat, target).model_dump()


__all__ = ["LlmRoutingLog", "erase_subject", "router"]
