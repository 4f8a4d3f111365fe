"""The routing part of a turn: writing its records to the router's log, and the summary it returns."""

from __future__ import annotations

from typing import Any, Protocol

from router.classifier import classify
from router.recording import RoutingRecord
from tools.context import AgentContext


class RoutingLogWriter(Protocol):
    """Writes a turn's routing records (router.log.RoutingLogWriter hashes what identifies)."""

    def __call__(self, records: list[RoutingRecord], *, thread_key: str, channel: str, user_id: int,
                 agent: str) -> None: ...


def log_turn(writer: RoutingLogWriter | None, records: list[RoutingRecord], context: AgentContext,
             agent: str) -> None:
    """Write the turn's records, if the turn made model calls and a writer is configured."""
    if records and writer is not None:
        writer(records, thread_key=context.thread_id, channel=context.channel, user_id=context.principal.user_id,
               agent=agent)


def turn_routing(records: list[RoutingRecord], text: str) -> dict[str, Any]:
    """The routing summary of a turn: its last model call, or the classification alone when none ran."""
    if records:
        return records[-1].summary()
    classification = classify(text)
    return {"classification": str(classification.level), "entities": sorted(classification.entities),
            "policy_target": "local", "model": None, "fallback": False, "reason": "Sin llamada a un modelo."}
