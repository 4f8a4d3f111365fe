from __future__ import annotations

import itertools

import pytest

from commerce.marketplace.models import Order
from commerce.marketplace.order_state import TRANSITIONS, OrderStatus, can_transition
from commerce.shared.errors import IllegalTransition

HAPPY_PATH = ["created", "stock_reserved", "pending_payment", "paid", "picking", "shipped", "delivered"]


def test_happy_path_is_allowed_step_by_step() -> None:
    for current, target in itertools.pairwise(HAPPY_PATH):
        assert can_transition(OrderStatus(current), OrderStatus(target))


@pytest.mark.parametrize(
    ("current", "target"),
    [("created", "paid"), ("pending_payment", "shipped"), ("delivered", "cancelled"), ("cancelled", "shipped"),
     ("shipped", "cancelled"), ("paid", "cancelled"), ("refunded", "created"), ("picking", "delivered")],
)
def test_illegal_transitions_raise_and_keep_the_status(current: str, target: str) -> None:
    order = Order(id="ORD-1", buyer_id="BUY-001", total_cop=1, status=current)
    with pytest.raises(IllegalTransition) as info:
        order.transition(OrderStatus(target))
    assert order.status == current
    assert "ORD-1" in info.value.message


def test_terminal_states_have_no_exit() -> None:
    # A cancelled order is revived only by a late payment approval that found its stock again
    # (commerce/marketplace/payment_intents.py, docs/payments.md): straight to paid, nothing else.
    assert TRANSITIONS[OrderStatus.CANCELLED] == frozenset({OrderStatus.PAID})
    assert TRANSITIONS[OrderStatus.REFUNDED] == frozenset()


def test_every_status_is_reachable_from_created() -> None:
    seen, frontier = {OrderStatus.CREATED}, [OrderStatus.CREATED]
    while frontier:
        for nxt in TRANSITIONS[frontier.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    assert seen == set(OrderStatus)
