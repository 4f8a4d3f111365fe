"""Reorder proposals: what the reorder agent suggests buying or moving, with its explanation."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import BusDep, CurrentPrincipal, ReadUowDep
from commerce.fulfillment import reorder_proposals as proposals
from commerce.fulfillment.reorder import CycleResult, RunReorderCycle
from commerce.fulfillment.reorder_proposals import ProposalRead

router = APIRouter(prefix="/v1/reorder", tags=["reorden"])


@router.get("/proposals", response_model=list[ProposalRead],
            summary="Reorder proposals: a seller sees their own, staff everyone's")
def list_proposals(
    uow: ReadUowDep, principal: CurrentPrincipal,
    status: Annotated[Literal["open", "all"], Query(description="open: awaiting a decision (default)")] = "open",
    seller_id: Annotated[str | None, Query(max_length=16, description="staff only: one seller")] = None,
) -> list[ProposalRead]:
    return proposals.list_proposals(uow=uow, principal=principal, open_only=status == "open", seller_id=seller_id)


@router.get("/proposals/{proposal_id}", response_model=ProposalRead,
            summary="One reorder proposal with its numbers and explanation (its seller or staff)")
def get_proposal(proposal_id: Annotated[int, Path(ge=1, le=2**31 - 1)], uow: ReadUowDep,
                 principal: CurrentPrincipal) -> ProposalRead:
    """Another seller's proposal answers 404, like a missing one: ids are not a way to probe."""
    return proposals.get_proposal(uow=uow, principal=principal, proposal_id=proposal_id)


class CycleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    cycle_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9:_.-]+$",
                                 description="Nombre del ciclo: repetirlo no lo corre dos veces (idempotente)")
    seller_id: str | None = Field(default=None, min_length=1, max_length=16,
                                  description="Un vendedor; si se omite, el propio (o todos, para la plataforma)")


@router.post("/cycles", response_model=CycleResult,
             summary="Run a reorder cycle now (scope reorder:run; what an external scheduler calls with client "
                     "credentials)")
def run_cycle(body: CycleCreate, bus: BusDep, principal: CurrentPrincipal) -> CycleResult:
    result: CycleResult = bus.handle(RunReorderCycle(cycle_id=body.cycle_id, seller_id=body.seller_id,
                                                     actor=principal))
    return result
