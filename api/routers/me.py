"""The data subject's own data (Ley 1581 art. 8: conocer, actualizar, rectificar y suprimir)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import BusDep, CurrentPrincipal
from commerce.identity.erasure import EraseSubjectData, ErasureResult

router = APIRouter(prefix="/v1/me", tags=["privacidad"])


@router.delete("", response_model=ErasureResult,
               summary="Erase the caller's personal data everywhere and close the account (orders kept anonymised)")
def erase_me(bus: BusDep, principal: CurrentPrincipal) -> ErasureResult:
    result: ErasureResult = bus.handle(EraseSubjectData(user_id=principal.user_id, actor=principal,
                                                        close_account=True))
    return result
