"""The reorder schedule: a cycle when due and not before, one per large sale, idempotent; the embedded worker
runs a first cycle soon after start and the seller's notification goes out."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from commerce.fulfillment.reorder_proposals import ReorderCycle
from commerce.fulfillment.reorder_triggers import LargeSaleRule, large_sale_seller, sale_cycle_id
from commerce.notifications import NotificationStatus
from commerce.shared import events
from commerce.shared.outbox import ProcessedMessage
from infra.bootstrap import Platform, bootstrap, start_background_workers
from infra.worker import ReorderScheduler
from tests.conftest import make_settings
from tests.reorder.helpers import FakePush, seller_notifications

T0 = datetime(2026, 12, 1, 15, 20, tzinfo=UTC)  # 10:20 in Bogotá


def scheduler() -> ReorderScheduler:
    return ReorderScheduler(interval=timedelta(hours=1), first_delay=timedelta(seconds=15), now=T0)


def test_first_cycle_soon_after_start_then_once_per_slot() -> None:
    s = scheduler()
    assert s.due(T0 + timedelta(seconds=10)) == []
    first = s.due(T0 + timedelta(seconds=16))
    assert [c.cycle_id for c in first] == ["RC-S202612011000-ALL"] and first[0].seller_id is None
    assert s.due(T0 + timedelta(minutes=30)) == []  # same slot: not due
    assert [c.cycle_id for c in s.due(T0 + timedelta(minutes=40))] == ["RC-S202612011100-ALL"]  # 11:00
    assert s.due(T0 + timedelta(minutes=41)) == []


def test_a_zero_interval_turns_the_schedule_off_but_not_the_sales() -> None:
    s = ReorderScheduler(interval=timedelta(0), first_delay=timedelta(0), now=T0)
    assert s.due(T0 + timedelta(days=1)) == []
    s.request_for_sale("SEL-CAFE", 42)
    assert [(c.cycle_id, c.seller_id) for c in s.due(T0)] == [(sale_cycle_id("SEL-CAFE", 42), "SEL-CAFE")]


def test_a_sale_asked_twice_runs_one_cycle() -> None:
    s = scheduler()
    s.request_for_sale("SEL-CAFE", 7)
    s.request_for_sale("SEL-CAFE", 7)
    assert [c.seller_id for c in s.due(T0)] == ["SEL-CAFE"]
    assert s.due(T0) == []


def sale(units: int, *, kind: str = "sale", movement_id: int = 900_001, sku: str = "CAF-002",
         warehouse: str = "MED") -> events.MovementRecorded:
    return events.MovementRecorded(movement_id=movement_id, kind=kind, sku=sku, warehouse=warehouse,
                                   on_hand_delta=-units, reserved_delta=0, reference="ORD-TEST")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_what_counts_as_a_large_sale(platform: Platform) -> None:
    rule = LargeSaleRule(factor=3.0, min_units=10)
    with platform.read_uow() as uow:
        assert large_sale_seller(uow=uow, event=sale(200), rule=rule) == "SEL-CAFE"
        assert large_sale_seller(uow=uow, event=sale(2), rule=rule) is None  # an ordinary sale
        assert large_sale_seller(uow=uow, event=sale(200, kind="receipt"), rule=rule) is None
        # CAF-002 sells several units a day in MED: 10 units is above the floor but under 3× a day's demand.
        assert large_sale_seller(uow=uow, event=sale(10), rule=rule) is None
        assert large_sale_seller(uow=uow, event=sale(10), rule=LargeSaleRule(factor=0.5, min_units=10)) == "SEL-CAFE"


def test_a_large_sale_event_triggers_one_cycle_through_the_consumer(platform: Platform) -> None:
    big = sale(500)
    platform.consumers(big.envelope())
    platform.consumers(big.envelope())  # delivered again: the consumer has processed it
    platform.consumers(sale(1, movement_id=900_002).envelope())
    due = platform.reorder_scheduler.due(datetime.now(UTC) - timedelta(days=1))  # before the first slot
    assert [(c.cycle_id, c.seller_id) for c in due] == [(sale_cycle_id("SEL-CAFE", 900_001), "SEL-CAFE")]
    result = platform.bus.handle(due[0])
    assert result.proposals and {p.seller_id for p in result.proposals} == {"SEL-CAFE"}
    assert platform.bus.handle(due[0]).replayed  # the same sale's cycle again writes nothing


def test_movements_that_cannot_be_large_sales_open_no_transaction(platform: Platform) -> None:
    # A reservation, a receipt or a small sale is answered before any database work: no processed-message row.
    def processed() -> int:
        with platform.read_uow() as uow:
            return uow.session.scalar(select(func.count()).select_from(ProcessedMessage)
                                      .where(ProcessedMessage.consumer == "reorder-large-sales")) or 0

    before = processed()
    reservation = events.MovementRecorded(movement_id=900_101, kind="reservation", sku="CAF-002", warehouse="MED",
                                          on_hand_delta=0, reserved_delta=500, reference="ORD-TEST")
    for event in (reservation, sale(500, kind="receipt", movement_id=900_102), sale(1, movement_id=900_103)):
        platform.consumers(event.envelope())
    assert processed() == before
    platform.consumers(sale(500, movement_id=900_104).envelope())  # a candidate is deduplicated as before
    assert processed() == before + 1


def cycles(platform: Platform) -> int:
    with platform.read_uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(ReorderCycle)) or 0


def test_the_embedded_worker_runs_a_first_cycle_and_notifies(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, database_url, reorder_first_cycle_delay_seconds=0.5,
                             relay_interval_seconds=0.1)
    platform = bootstrap(settings)
    push = FakePush()
    workers = start_background_workers(platform, web_push=push)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            notes = seller_notifications(platform, "SEL-CAFE")
            if notes and notes[0].status == NotificationStatus.SENT:
                break
            time.sleep(0.2)
        assert cycles(platform) == 1
        assert [p["text"] for user, p in push.sent if user == 3] == [notes[0].text]
    finally:
        workers.stop()
        platform.close()
