"""A thread paused on a write's confirmation: what the user's next message does with it.

The answer is read with agents.confirmations; this module decides the turn's course: ask again,
resume the graph with the decision, and whether the message then also starts a new request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langgraph.types import Command, StateSnapshot

from agents.confirmations import Decision, is_correction, looks_like_new_request, read_decision
from agents.turns import PendingConfirmation

UNCLEAR_ANSWER = "No te entendí. "


def pending_confirmation(state: StateSnapshot) -> PendingConfirmation | None:
    """The confirmation a thread is paused on, if any."""
    for interrupt in state.interrupts:
        value = interrupt.value
        if isinstance(value, dict) and value.get("type") == "confirmation":
            return PendingConfirmation(tool=value["tool"], args=value.get("args", {}), question=value["question"])
    return None


@dataclass(frozen=True)
class ConfirmationStep:
    """What to do with a message sent to a thread that waits for a confirmation."""

    ask_again: bool  # neither yes, no nor a new request: ask the question again
    resume: Command[Any] | None = None  # resume the paused graph with the user's decision
    then_new_request: bool = False  # after resuming, run the message as a new request


def reask(pending: PendingConfirmation) -> str:
    """The reply to an answer that was neither yes nor no: the question again."""
    return UNCLEAR_ANSWER + pending.question


def answer_to_confirmation(text: str) -> ConfirmationStep:
    """Read `text` as the answer to the pending confirmation."""
    decision = read_decision(text)
    if decision is Decision.OTHER and not looks_like_new_request(text):
        return ConfirmationStep(ask_again=True)
    resume: Command[Any] = Command(resume={"decision": "confirm" if decision is Decision.CONFIRM else "cancel"})
    done = decision is Decision.CONFIRM or (decision is Decision.CANCEL and not is_correction(text))
    return ConfirmationStep(ask_again=False, resume=resume, then_new_request=not done)
