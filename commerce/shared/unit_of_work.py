"""The unit of work owns the transaction: domain changes and their outbox rows commit together.

Every state change of the domain runs in one. The message bus opens it for a command and commits
it once the command's handler and the in-transaction event handlers have run (each event's
outbox row staged in the same transaction); an idempotent broker consumer (infra.bus.consumers)
commits its effects together with its processed-message mark. Nothing else commits a unit of
work: routes, channels, tools and agents send commands. Infrastructure bookkeeping that is not
domain state (the relay marking outbox rows published, notification delivery attempts, the
privacy router's own log) uses sessions of its own, as docs/architecture.md lists.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self, TypeVar

from sqlalchemy import event
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session

from commerce.shared.errors import InvalidInput
from commerce.shared.events import Event, EventEnvelope
from commerce.shared.orm import Aggregate
from commerce.shared.outbox import write_outbox

SessionFactory = Callable[[], Session]
T = TypeVar("T")
_HELD = "mestocker.aggregates"  # Session.info key: the aggregates a unit of work holds


# The session's identity map holds flushed objects weakly: a handler that records an event on an
# aggregate, flushes and drops its last reference would let the garbage collector take the aggregate,
# and its events, before collect_new_events runs. Every aggregate that enters a unit of work's session
# (added or loaded) is therefore held by the unit of work until it ends. Listening once on the Session
# class (not per instance, which costs ~0.4 ms per unit of work) and finding the holder in session.info.
@event.listens_for(Session, "after_attach")
@event.listens_for(Session, "loaded_as_persistent")
def _hold(session: Session, obj: object) -> None:
    held = session.info.get(_HELD)
    if held is not None and isinstance(obj, Aggregate):
        held.setdefault(id(obj), obj)


class UnitOfWork:
    """One database transaction. Handlers use `session`; the message bus (or a consumer) calls `commit`."""

    session: Session

    def __init__(self, session_factory: SessionFactory) -> None:
        self._session_factory = session_factory
        self._loose_events: list[Event] = []
        self._aggregates: dict[int, Aggregate] = {}
        self._on_commit: list[Callable[[], None]] = []
        self._written_steps: list[Callable[[], None]] = []
        self._end_steps: list[Callable[[], None]] = []
        self._outbox: list[EventEnvelope] = []

    def __enter__(self) -> Self:
        self.session = self._session_factory()
        self._loose_events = []
        self._aggregates = {}
        self._on_commit = []
        self._written_steps = []
        self._end_steps = []
        self._outbox = []
        self.session.info[_HELD] = self._aggregates
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # Anything not committed explicitly is rolled back: a failed command changes nothing.
        self.session.rollback()
        self._outbox = []
        self.session.info.pop(_HELD, None)
        self.session.close()
        self._aggregates = {}
        # A value the database cannot hold (a NUL character in PostgreSQL text, an integer beyond
        # 64 bits) is the caller's bad input, not a server fault: a Spanish 422 / tool error.
        if isinstance(exc, DataError | OverflowError):
            raise InvalidInput("Un dato de la solicitud no es válido: revisa que no tenga caracteres de control "
                               "ni números demasiado grandes.") from exc

    def add_event(self, event: Event) -> None:
        """Record an event that no single aggregate owns (e.g. a bulk stock update)."""
        self._loose_events.append(event)

    def collect_new_events(self) -> list[Event]:
        """Take the events recorded since the last call, from aggregates and loose ones."""
        events, self._loose_events = self._loose_events, []
        for obj in list(self._aggregates.values()):
            events.extend(obj.pop_events())
        return events

    def stage_outbox(self, event: Event) -> None:
        """Write the event's outbox row in this transaction: the staged rows go in one INSERT before the `at_end`
        steps (or at commit), in the order they were staged."""
        self._outbox.append(event.envelope())

    def _write_outbox(self) -> None:
        staged, self._outbox = self._outbox, []
        write_outbox(self.session, staged)

    def flush(self) -> None:
        self.session.flush()

    def on_commit(self, hook: Callable[[], None]) -> None:
        """Run `hook` once this transaction has committed (e.g. scrub storage after an erasure)."""
        self._on_commit.append(hook)

    def once_written(self, step: Callable[[], None]) -> None:
        """Run `step` once what is pending has been written, before the `at_end` steps: for what needs a value
        the database generates (a ledger row's id in its event) without a flush of its own in the middle of
        the transaction. The step may record events; the message bus stages them before the `at_end` steps."""
        self._written_steps.append(step)

    def at_end(self, step: Callable[[], None]) -> None:
        """Run `step` after everything else this transaction writes, just before it commits: for the UPDATE of
        a row that concurrent transactions all need (a SKU's stock), whose lock is then held only for the
        commit instead of for the rest of the transaction. The step may raise (the transaction then rolls
        back) or record events; the message bus runs the steps (`run_end_steps`) and stages their events."""
        self._end_steps.append(step)

    def run_end_steps(self) -> bool:
        """Write what is pending, then run the deferred steps of one phase — the `once_written` ones if any,
        else the `at_end` ones — in order; False if none were left. The bus stages the events a phase records
        before calling again, so their outbox rows are written before the hot rows are taken."""
        phase = self._written_steps or self._end_steps
        if not phase:
            return False
        self.session.flush()
        if phase is self._end_steps:
            self._write_outbox()
        steps = list(phase)
        phase.clear()
        for step in steps:
            step()
        return True

    def pending(self, cls: type[T], key: object) -> T | None:
        """The `cls` object with primary key `key` added in this unit of work and not written yet, else None
        (`Session.get` does not see pending objects, and would flush them to find them)."""
        for obj in self.session.new:
            if isinstance(obj, cls) and self.session.identity_key(instance=obj)[1] == (key,):
                return obj
        return None

    def commit(self) -> None:
        if self._written_steps or self._end_steps:  # a deferred stock UPDATE never skipped: that would oversell
            raise RuntimeError("commit with deferred steps not run (UnitOfWork.run_end_steps)")
        self._write_outbox()
        self.session.commit()
        hooks, self._on_commit = self._on_commit, []
        for hook in hooks:
            hook()

    def rollback(self) -> None:
        self.session.rollback()
        self._outbox = []
