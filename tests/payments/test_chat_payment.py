"""Paying from the chat: the order agent starts the payment after the buyer confirms, once; the buyer hears
on their channel when the gateway confirms."""

from __future__ import annotations

from datetime import timedelta

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import select

from agents.chat import ChatService
from commerce.identity.principal import SYSTEM
from commerce.marketplace import commands as mc
from commerce.marketplace import views as mviews
from commerce.marketplace.models import Payment
from commerce.notifications import BuyerNotification
from infra.bootstrap import Platform, build_chat_service
from tests.agents.conftest import ANDRES, LAURA, conversation
from tests.payments import fakes

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def chat(platform: Platform) -> ChatService:
    return build_chat_service(platform, InMemorySaver(), record_routing=False)


def new_order(platform: Platform) -> str:
    order_id: str = platform.bus.handle(mc.PlaceOrder(buyer_id="BUY-001", warehouse="BOG", actor=LAURA,
                                                      lines=[mc.OrderLineIn(sku="CAF-002", quantity=1)]))
    return order_id


def status(platform: Platform, order_id: str) -> str:
    with platform.read_uow() as uow:
        return mviews.get_order(uow=uow, principal=SYSTEM, order_id=order_id).status


def test_pay_with_nequi_from_the_chat_then_hear_it_was_confirmed(
        chat: ChatService, platform: Platform, fake_nequi: fakes.FakeNequi) -> None:
    order_id = new_order(platform)
    say = conversation(chat, LAURA)
    asked = say(f"quiero pagar el pedido {order_id.removeprefix('ORD-')} con Nequi")
    assert asked.pending_confirmation is not None and asked.pending_confirmation.tool == "pay_order", asked
    assert "Nequi terminado en" in asked.reply and "¿Confirmas?" in asked.reply
    assert not fake_nequi.calls("unregisteredpayment") or all(
        p["reference2"] != order_id for p in fake_nequi.pushes.values()), "nothing is sent before the yes"
    done = say("sí")
    assert [(c.name, c.status) for c in done.tool_calls] == [("pay_order", "ok")], done
    assert "revisa tu Nequi" in done.reply
    assert [p for p in fake_nequi.pushes.values() if p["reference2"] == order_id]
    say("sí")  # a repeated yes sends no second push
    with platform.read_uow() as uow:
        payments = list(uow.session.scalars(select(Payment).where(Payment.order_id == order_id)))
        created = payments[0].created_at
        assert len(payments) == 1
    for second in range(0, 30):
        platform.payment_poller.run_once(created + timedelta(seconds=second))
    assert status(platform, order_id) == "paid"
    platform.relay.drain()
    with platform.read_uow() as uow:
        texts = list(uow.session.scalars(select(BuyerNotification.text).where(BuyerNotification.order_id == order_id)))
    assert any(text.startswith("Confirmamos el pago") for text in texts), texts


def test_pay_with_the_sandbox_from_the_chat_is_paid_at_once(chat: ChatService, platform: Platform) -> None:
    order_id = new_order(platform)
    say = conversation(chat, LAURA, thread="sandbox")
    asked = say(f"quiero pagar el pedido {order_id} con la pasarela de prueba")
    assert asked.pending_confirmation is not None and asked.pending_confirmation.tool == "pay_order", asked
    done = say("sí, dale")
    assert "fue aprobado" in done.reply, done
    assert status(platform, order_id) == "paid"


def test_another_buyers_order_is_refused_before_asking(chat: ChatService, platform: Platform) -> None:
    order_id = new_order(platform)
    refused = conversation(chat, ANDRES, thread="other")(f"quiero pagar el pedido {order_id} con Nequi")
    assert refused.pending_confirmation is None
    assert f"No encontramos el pedido {order_id}" in refused.reply, refused.reply  # like a missing order
    assert status(platform, order_id) == "pending_payment"
