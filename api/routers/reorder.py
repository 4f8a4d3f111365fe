"""Reorder proposals: what the reorder agent suggests buying or moving, with its explanation."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.deps import CurrentPrincipal, ReadUowDep
from commerce.fulfillment import reorder_proposals as proposals
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
