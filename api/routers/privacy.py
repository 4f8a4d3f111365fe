"""Privacy: the routing log (admins) and data-subject erasure requests (Ley 1581)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from api.deps import BusDep, CurrentPrincipal, ReadSessionDep, ReadUowDep, RoutingLogReader
from commerce.identity.audit import AuditEntryRead, list_audit
from commerce.identity.data_export import ExportSubjectData, SubjectExport
from commerce.identity.erasure import EraseSubjectData, ErasureResult
from commerce.identity.privacy_requests import PrivacyRequestRead, list_privacy_requests
from router.log import LlmRoutingLog, checked_moment, query

router = APIRouter(tags=["privacidad"])
# A moment whose UTC time does not exist (0001-01-01T00:00+14:00) is the caller's error: 422.
Since = Annotated[datetime | None, AfterValidator(checked_moment),
                  Query(description="Solo decisiones desde este momento (ISO 8601)")]


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
    close_account: bool = Field(default=False, description="También anonimiza la cuenta y el perfil de comprador")


@router.get("/v1/routing-logs", response_model=list[RoutingLogRead],
            summary="Privacy-router decisions, newest first (admins only; no raw personal data)")
def list_routing_logs(session: ReadSessionDep, _reader: RoutingLogReader, since: Since = None,
                      limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[RoutingLogRead]:
    return [RoutingLogRead.model_validate(row) for row in query(session, since=since, limit=limit)]


@router.post("/v1/privacy/erasure", response_model=ErasureResult,
             summary="Erase the caller's conversations, tickets and log links (an admin may name a user)")
def request_erasure(body: ErasureRequest, bus: BusDep, principal: CurrentPrincipal) -> ErasureResult:
    result: ErasureResult = bus.handle(EraseSubjectData(user_id=body.user_id or principal.user_id,
                                                        actor=principal, close_account=body.close_account))
    return result


@router.get("/v1/privacy/subjects/{user_id}/data", response_model=SubjectExport,
            summary="Staff: read a person's data (the reason is required and goes to the audit trail)")
def read_subject(user_id: Annotated[int, Path(ge=1, le=2**31 - 1)], bus: BusDep, principal: CurrentPrincipal,
                 reason: Annotated[str, Query(min_length=5, max_length=300,
                                              description="Por qué consultas estos datos (queda auditado)")]
                 ) -> SubjectExport:
    export: SubjectExport = bus.handle(ExportSubjectData(actor=principal, user_id=user_id, reason=reason))
    return export


@router.get("/v1/privacy/requests", response_model=list[PrivacyRequestRead],
            summary="Data-subject requests with their legal deadlines (staff), earliest deadline first")
def privacy_requests(uow: ReadUowDep, principal: CurrentPrincipal, status: str | None = None,
                     limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[PrivacyRequestRead]:
    return list_privacy_requests(uow=uow, principal=principal, status=status, limit=limit)


@router.get("/v1/audit", response_model=list[AuditEntryRead],
            summary="The access audit trail, newest first (superusers)")
def audit_trail(uow: ReadUowDep, principal: CurrentPrincipal, since: Since = None,
                limit: Annotated[int, Query(ge=1, le=5000)] = 200) -> list[AuditEntryRead]:
    return list_audit(uow=uow, principal=principal, since=since, limit=limit)


__all__ = ["ErasureResult", "LlmRoutingLog", "RoutingLogRead", "router"]
