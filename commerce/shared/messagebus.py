"""The message bus: runs a command's handler and the in-transaction event handlers it triggers.

Design (see docs/architecture.md): a command and every domain event it causes are handled in
ONE transaction. Each event is also written to the outbox in that same transaction, so that the
relay publishes it at least once to out-of-process consumers (notifications, analytics, agents).
If any handler raises, nothing is written — that is what lets `POST /v1/orders` answer 409 on
short stock without leaving a half-made order behind.
"""

from __future__ import annotations

import functools
import inspect
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError

from commerce.shared.commands import Command
from commerce.shared.events import Event
from commerce.shared.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

T = TypeVar("T")
CommandHandler = Callable[..., Any]
EventHandler = Callable[..., None]

# Error text of transient conflicts worth retrying: SQLite's writer lock, PostgreSQL deadlocks and
# serialization failures.
_TRANSIENT = ("database is locked", "deadlock detected", "could not serialize")
MAX_ATTEMPTS = 5


# Steps to run inside the transaction of the next command this context handles, right after its handler (how
# commerce.shared.exactly_once marks a claimed key done in the same transaction as the work the key guards).
_NEXT_TRANSACTION: ContextVar[list[Callable[[UnitOfWork], None]] | None] = ContextVar(
    "mestocker_next_transaction", default=None)


@contextmanager
def in_next_transaction(step: Callable[[UnitOfWork], None]) -> Iterator[None]:
    """Within the block, the first command that commits runs `step(uow)` in its own transaction (again on a retried
    attempt, never after the commit)."""
    token = _NEXT_TRANSACTION.set([step])
    try:
        yield
    finally:
        _NEXT_TRANSACTION.reset(token)


def inject(handler: Callable[..., Any], dependencies: dict[str, Any]) -> Callable[..., Any]:
    """Bind the dependencies a handler declares by keyword (cosmicpython's bootstrap pattern)."""
    wanted = inspect.signature(handler).parameters
    deps = {name: dep for name, dep in dependencies.items() if name in wanted}
    if not deps:
        return handler

    def bound(message: Any, uow: UnitOfWork) -> Any:
        return handler(message, uow, **deps)

    bound.__name__ = getattr(handler, "__name__", "handler")
    return bound


class MessageBus:
    """Dispatches commands to their handler and events to their in-transaction handlers."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        command_handlers: dict[type[Command], CommandHandler],
        event_handlers: dict[type[Event], list[EventHandler]],
        after_commit: list[Callable[[], None]] | None = None,
        view_dependencies: dict[str, Any] | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.command_handlers = command_handlers
        self.event_handlers = event_handlers
        self.after_commit = after_commit or []
        self.view_dependencies = view_dependencies or {}

    def handle(self, command: Command, *, then: Callable[[UnitOfWork, Any], T] | None = None) -> Any:
        """Run the command in one transaction, retrying transient lock conflicts; return the handler's result,
        or `then(uow, result)` when given: a view of what the command made, read after the commit from the
        same session, whose objects are still loaded (an order's read-back needs no second transaction)."""
        handler = self.command_handlers[type(command)]
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                result = self._run_once(handler, command, then)
            except DBAPIError as exc:
                if attempt == MAX_ATTEMPTS or not _is_transient(exc):
                    raise
                log.info("retrying %s after transient conflict: %s", type(command).__name__, exc.orig)
                time.sleep(0.01 * attempt)
                continue
            for hook in self.after_commit:
                hook()
            return result
        raise AssertionError("unreachable")

    def _run_once(self, handler: CommandHandler, command: Command,
                  then: Callable[[UnitOfWork, Any], Any] | None = None) -> Any:
        with self.uow_factory() as uow:
            result = handler(command, uow)
            joined = _NEXT_TRANSACTION.get()
            for step in joined or ():
                step(uow)
            self._drain_events(uow)
            while uow.run_end_steps():  # the hot-row UPDATEs, last (UnitOfWork.at_end)
                self._drain_events(uow)
            uow.commit()
            if joined:
                joined.clear()  # committed: later commands of the block do not run the steps again
            return result if then is None else then(uow, result)

    def _drain_events(self, uow: UnitOfWork) -> None:
        queue = uow.collect_new_events()
        while queue:
            event = queue.pop(0)
            uow.stage_outbox(event)
            for handler in self.event_handlers.get(type(event), []):
                handler(event, uow)
            queue.extend(uow.collect_new_events())

    def view(self, fn: Callable[..., T]) -> Callable[..., T]:
        """`fn` with the dependencies bootstrap injected for views (e.g. the semantic product index) bound
        by keyword, as `inject` binds a handler's."""
        wanted = inspect.signature(fn).parameters
        deps = {name: dep for name, dep in self.view_dependencies.items() if name in wanted}
        return functools.partial(fn, **deps) if deps else fn

    @contextmanager
    def read(self) -> Iterator[UnitOfWork]:
        """A unit of work for views: reads only, never commits."""
        with self.uow_factory() as uow:
            yield uow


def _is_transient(exc: DBAPIError) -> bool:
    text = str(exc.orig).lower()
    return any(marker in text for marker in _TRANSIENT)
