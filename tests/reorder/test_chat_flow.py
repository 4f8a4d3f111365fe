"""The seller's reorder conversation through the real chat service (offline model, SQLite):
notification → list → why → approve → confirmation → approved, executed once; reject; another seller."""

from __future__ import annotations

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from sqlalchemy import select

from agents.chat import ChatService
from agents.threads import thread_key
from commerce.fulfillment.models import PurchaseOrder
from commerce.fulfillment.reorder_proposals import ReorderProposal
from commerce.identity.principal import Principal, Role
from infra.bootstrap import Platform, build_chat_service
from tests.reorder.helpers import CAFE_EMAIL, TECH_EMAIL, deliver, outbox_names, run_cycle_and_relay
from tools.context import AgentContext

CAFE = Principal.for_role(user_id=3, email=CAFE_EMAIL, role=Role.CLIENTE, seller_id="SEL-CAFE")
TECH = Principal.for_role(user_id=5, email=TECH_EMAIL, role=Role.CLIENTE, seller_id="SEL-TECH")
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def chat(platform: Platform) -> ChatService:
    return build_chat_service(platform, InMemorySaver(), record_routing=False)


def po_status(platform: Platform, po_id: str) -> str:
    with platform.read_uow() as uow:
        po = uow.session.get(PurchaseOrder, po_id)
        assert po is not None
        return po.status


def cafe_purchase(platform: Platform) -> ReorderProposal:
    with platform.read_uow() as uow:
        row = uow.session.scalars(select(ReorderProposal).where(
            ReorderProposal.seller_id == "SEL-CAFE", ReorderProposal.kind == "purchase")).first()
        assert row is not None
        uow.session.expunge(row)
        return row


def test_notification_list_why_approve_once(platform: Platform, chat: ChatService) -> None:
    run_cycle_and_relay(platform, "chat-1")
    proposal = cafe_purchase(platform)
    po_id = proposal.purchase_order_id
    assert po_id is not None
    pushed = [payload["text"] for user, payload in deliver(platform).sent if user == CAFE.user_id]
    assert len(pushed) == 1 and po_id in pushed[0] and f"{proposal.quantity} u de {proposal.sku}" in pushed[0]

    def say(text: str):  # type: ignore[no-untyped-def]
        return chat.send(principal=CAFE, thread_id="reorder", message=text)

    listed = say("muéstrame las propuestas de reorden")
    assert [c.name for c in listed.tool_calls] == ["list_reorder_proposals"] and po_id in listed.reply

    why = say(f"¿por qué me propones {proposal.quantity} unidades?")
    assert [(c.name, c.status) for c in why.tool_calls] == [("explain_reorder_proposal", "ok")]
    assert proposal.explanation in why.reply  # the stored explanation, not a recomputed one
    by_sku = say(f"explicame la propuesta de {proposal.sku}")
    assert proposal.explanation in by_sku.reply

    asked = say(f"aprueba la {po_id}")
    assert asked.pending_confirmation is not None and asked.pending_confirmation.tool == "approve_reorder"
    assert po_status(platform, po_id) == "draft"
    key = thread_key(CAFE, "reorder")
    pending = next(s.config for s in chat.graph.get_state_history({"configurable": {"thread_id": key}})
                   if s.next == ("tools",) and s.interrupts)
    done = say("sí, hágale")
    assert [(c.name, c.status) for c in done.tool_calls] == [("approve_reorder", "ok")]
    assert po_status(platform, po_id) == "approved"
    # The same confirmation replayed (a retried resume) executes nothing a second time.
    chat.graph.invoke(Command(resume={"decision": "confirm"}), pending,
                      context=AgentContext(principal=CAFE, bus=platform.bus, thread_id=key))
    names = outbox_names(platform, po_id)
    assert names.count("reorder.approved") == 1 and names.count("purchase_order.created") == 1


def test_reject_asks_then_cancels_and_the_next_cycle_leaves_it(platform: Platform, chat: ChatService) -> None:
    run_cycle_and_relay(platform, "chat-1")
    proposal = cafe_purchase(platform)
    po_id = proposal.purchase_order_id
    assert po_id is not None
    asked = chat.send(principal=CAFE, thread_id="r", message=f"rechaza la {po_id}, está muy cara")
    assert asked.pending_confirmation is not None and asked.pending_confirmation.tool == "reject_reorder"
    assert po_status(platform, po_id) == "draft"
    kept = chat.send(principal=CAFE, thread_id="r", message="no")
    assert po_status(platform, po_id) == "draft", kept
    chat.send(principal=CAFE, thread_id="r2", message=f"rechaza la {po_id}")
    done = chat.send(principal=CAFE, thread_id="r2", message="sí")
    assert [(c.name, c.status) for c in done.tool_calls] == [("reject_reorder", "ok")]
    assert po_status(platform, po_id) == "cancelled"
    again = run_cycle_and_relay(platform, "chat-2", seller_id="SEL-CAFE")
    assert not any((p.sku, p.warehouse) == (proposal.sku, proposal.warehouse) and p.kind == "purchase"
                   for p in again.proposals)  # rejected: not proposed again at once
    approve_rejected = chat.send(principal=CAFE, thread_id="r3", message=f"aprueba la {po_id}")
    assert approve_rejected.pending_confirmation is None  # a cancelled order cannot be approved


def test_another_seller_is_refused(platform: Platform, chat: ChatService) -> None:
    run_cycle_and_relay(platform, "chat-1")
    po_id = cafe_purchase(platform).purchase_order_id
    assert po_id is not None
    approve = chat.send(principal=TECH, thread_id="x", message=f"aprueba la {po_id}")
    assert approve.pending_confirmation is None
    # Another seller's purchase order answers like a missing one (PO ids are sequential too).
    assert [(c.name, c.status) for c in approve.tool_calls] == [("approve_reorder", "not_found")]
    reject = chat.send(principal=TECH, thread_id="y", message=f"rechaza la {po_id}")
    assert [(c.name, c.status) for c in reject.tool_calls] == [("reject_reorder", "not_found")]
    missing = chat.send(principal=TECH, thread_id="w", message="aprueba la PO-9999")
    assert approve.reply == missing.reply.replace("PO-9999", po_id)
    explain = chat.send(principal=TECH, thread_id="z", message=f"explícame la {po_id}")
    assert [(c.name, c.status) for c in explain.tool_calls] == [("explain_reorder_proposal", "not_found")]
    assert po_status(platform, po_id) == "draft"
