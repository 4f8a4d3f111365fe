"""Erasure of a data subject's personal data (Ley 1581 de 2012, derecho de supresión).

One command deletes the subject's support tickets, anonymises their rows in the privacy
router's log and deletes their chat conversations. The log and the conversation store belong
to other layers (router/, agents/), so the composition root injects them as two ports.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, Field
from sqlalchemy import delete
from sqlalchemy.orm import Session

from commerce.identity.principal import Principal, Scope
from commerce.shared.commands import Command
from commerce.shared.errors import NotAuthorized
from commerce.shared.unit_of_work import UnitOfWork
from commerce.support import SupportTicket

# Anonymise the subject's routing-log rows in the given transaction; return how many.
RoutingLogEraser = Callable[[Session, int], int]
# Delete every conversation the subject owns; return how many threads.
ConversationEraser = Callable[[int], int]

REFUSAL = "Solo un administrador puede borrar los datos personales de otra persona."


class EraseSubjectData(Command):
    """Erase `user_id`'s personal data on behalf of `actor` (the subject, or staff for anyone)."""

    user_id: int = Field(ge=1, le=2**31 - 1)
    actor: Principal


class ErasureResult(BaseModel):
    routing_logs_anonymised: int
    support_tickets_deleted: int
    conversations_deleted: int


def erase_subject_data(cmd: EraseSubjectData, uow: UnitOfWork, *, forget_routing_logs: RoutingLogEraser,
                       forget_conversations: ConversationEraser) -> ErasureResult:
    """Delete the subject's tickets and conversations and unlink their routing-log rows."""
    if cmd.user_id != cmd.actor.user_id and not cmd.actor.holds(Scope.PRIVACY_ADMIN):
        raise NotAuthorized(REFUSAL)
    logs = forget_routing_logs(uow.session, cmd.user_id)
    tickets = uow.session.execute(delete(SupportTicket).where(SupportTicket.user_id == cmd.user_id))
    # Last: the conversation store is not in this transaction, and erasing twice is harmless.
    conversations = forget_conversations(cmd.user_id)
    return ErasureResult(routing_logs_anonymised=logs, support_tickets_deleted=int(getattr(tickets, "rowcount", 0)),
                         conversations_deleted=conversations)
