"""The unit of work keeps every aggregate of its transaction, so recorded events survive garbage collection.

Regression: the session's identity map holds clean (flushed or merely loaded) objects weakly. An
aggregate that recorded an event and then lost its last reference could be collected before the unit
of work gathered its events — the events vanished without a trace.
"""

from __future__ import annotations

import gc

import pytest
from sqlalchemy import select

from commerce.marketplace.models import Order
from commerce.shared import events
from commerce.shared.unit_of_work import UnitOfWork
from infra.bootstrap import Platform


def _record_and_drop(uow: UnitOfWork, *, flush: bool) -> str:
    """Record an event on an order, optionally flush a change, and keep no reference to it."""
    order = uow.session.scalars(select(Order).order_by(Order.id).limit(1)).one()
    order_id = order.id
    order.record(events.OrderDelivered(order_id=order_id))
    if flush:
        order.cancel_reason = "revisado"  # any column change
        uow.flush()  # clean again: from here only the weak identity map holds it
    del order
    return order_id


@pytest.mark.parametrize("flush", [False, True], ids=["loaded", "flushed"])
def test_events_survive_gc_between_flush_and_collect(platform: Platform, flush: bool) -> None:
    with UnitOfWork(platform.session_factory) as uow:
        order_id = _record_and_drop(uow, flush=flush)
        gc.collect()
        collected = uow.collect_new_events()
    assert [(type(e), getattr(e, "order_id", None)) for e in collected] == [(events.OrderDelivered, order_id)]


def test_a_collected_event_is_handed_over_once(platform: Platform) -> None:
    with UnitOfWork(platform.session_factory) as uow:
        _record_and_drop(uow, flush=False)
        gc.collect()
        assert len(uow.collect_new_events()) == 1
        assert uow.collect_new_events() == []
