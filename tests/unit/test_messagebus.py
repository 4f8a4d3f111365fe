"""The message bus with a fake unit of work (subclassing the real one): our dispatch logic alone."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

import pytest
from sqlalchemy.exc import OperationalError

from commerce.shared import events
from commerce.shared.commands import Command
from commerce.shared.messagebus import MessageBus, in_next_transaction, inject
from commerce.shared.unit_of_work import UnitOfWork


class FakeUnitOfWork(UnitOfWork):
    def __init__(self) -> None:
        super().__init__(session_factory=lambda: None)  # type: ignore[arg-type,return-value]
        self.committed = 0
        self.rolled_back = 0
        self.staged: list[events.Event] = []

    def __enter__(self) -> Self:
        self._loose_events = []
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.rolled_back += 1

    def collect_new_events(self) -> list[events.Event]:
        collected, self._loose_events = self._loose_events, []
        return collected

    def stage_outbox(self, event: events.Event) -> None:
        self.staged.append(event)

    def commit(self) -> None:
        self.committed += 1


class Ping(Command):
    order_id: str


def _bus(uow: FakeUnitOfWork, command_handler: Any, event_handlers: dict[Any, list[Any]] | None = None) -> MessageBus:
    return MessageBus(uow_factory=lambda: uow, command_handlers={Ping: command_handler},
                      event_handlers=event_handlers or {})


def test_command_and_its_event_chain_commit_once_with_every_event_staged() -> None:
    uow = FakeUnitOfWork()
    seen: list[str] = []

    def handle(cmd: Ping, uow: UnitOfWork) -> str:
        uow.add_event(events.OrderDelivered(order_id=cmd.order_id))
        return "done"

    def on_delivered(event: events.OrderDelivered, uow: UnitOfWork) -> None:
        seen.append(event.order_id)
        uow.add_event(events.PurchaseCompleted(order_id=event.order_id, buyer_id="BUY-001", total_cop=10))

    bus = _bus(uow, handle, {events.OrderDelivered: [on_delivered]})
    assert bus.handle(Ping(order_id="ORD-1")) == "done"
    assert seen == ["ORD-1"]
    assert [e.name for e in uow.staged] == ["order.delivered", "purchase.completed"]
    assert uow.committed == 1


def test_a_failing_event_handler_prevents_the_commit() -> None:
    uow = FakeUnitOfWork()

    def handle(cmd: Ping, uow: UnitOfWork) -> None:
        uow.add_event(events.OrderDelivered(order_id=cmd.order_id))

    def explode(event: events.Event, uow: UnitOfWork) -> None:
        raise ValueError("boom")

    bus = _bus(uow, handle, {events.OrderDelivered: [explode]})
    with pytest.raises(ValueError):
        bus.handle(Ping(order_id="ORD-1"))
    assert uow.committed == 0


def test_transient_lock_errors_are_retried_and_other_errors_are_not() -> None:
    uow = FakeUnitOfWork()
    attempts: list[int] = []

    def flaky(cmd: Ping, uow: UnitOfWork) -> int:
        attempts.append(1)
        if len(attempts) < 3:
            raise OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))
        return len(attempts)

    assert _bus(uow, flaky).handle(Ping(order_id="x")) == 3
    assert uow.committed == 1

    def broken(cmd: Ping, uow: UnitOfWork) -> None:
        attempts.append(1)
        raise OperationalError("SELECT", {}, Exception("no such table: orders"))

    attempts.clear()
    with pytest.raises(OperationalError):
        _bus(uow, broken).handle(Ping(order_id="x"))
    assert len(attempts) == 1


def test_after_commit_hooks_run_only_after_success() -> None:
    uow, calls = FakeUnitOfWork(), []
    bus = MessageBus(uow_factory=lambda: uow, command_handlers={Ping: lambda c, u: None}, event_handlers={},
                     after_commit=[lambda: calls.append("hook")])
    bus.handle(Ping(order_id="x"))
    assert calls == ["hook"]


def test_inject_binds_only_declared_dependencies() -> None:
    def needs_gateway(cmd: Ping, uow: UnitOfWork, gateway: str) -> str:
        return gateway

    def needs_nothing(cmd: Ping, uow: UnitOfWork) -> str:
        return "plain"

    deps = {"gateway": "sandbox", "clock": "unused"}
    assert inject(needs_gateway, deps)(Ping(order_id="x"), FakeUnitOfWork()) == "sandbox"
    assert inject(needs_nothing, deps) is needs_nothing


def test_a_step_joins_the_first_command_that_commits_in_its_block_and_no_other() -> None:
    uow = FakeUnitOfWork()
    joined: list[int] = []

    def handle(cmd: Ping, uow: UnitOfWork) -> None:
        if cmd.order_id == "fails":
            raise ValueError("refused")

    bus = _bus(uow, handle)
    bus.handle(Ping(order_id="before"))  # outside the block: no step
    with in_next_transaction(lambda u: joined.append(uow.committed)):
        with pytest.raises(ValueError):
            bus.handle(Ping(order_id="fails"))  # rolled back: the step is still to run
        assert joined == []
        bus.handle(Ping(order_id="first"))
        bus.handle(Ping(order_id="second"))
    bus.handle(Ping(order_id="after"))
    assert joined == [1]  # once, inside the first committed command's transaction (before its commit)
    assert uow.committed == 4
