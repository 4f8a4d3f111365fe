"""One RoutingRecord per model-call decision, handed to a sink (a callable or a context variable).

The chat service sets ``current_sink`` (``with collect_records() as records:``) around a turn,
then writes the records to ``llm_routing_logs`` in the turn's unit of work and puts
``records[-1].summary()`` in the response's ``routing`` field. Records carry entity types and
counts only — never a value from the conversation.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal

Outcome = Literal["ok", "fallback", "unavailable", "error"]
RecordSink = Callable[["RoutingRecord"], None]

current_sink: ContextVar[RecordSink | None] = ContextVar("mestocker_routing_sink", default=None)
current_request_id: ContextVar[str | None] = ContextVar("mestocker_request_id", default=None)
# False while a turn runs for a data subject who has not authorised international transfer (Ley 1581
# art. 26): no cloud model abroad may answer, whatever the privacy level. Set by the chat's turn runner.
cloud_transfer_allowed: ContextVar[bool] = ContextVar("mestocker_cloud_transfer_allowed", default=True)
# Who a chat turn runs for, as (user id, thread key): read only by the JSON log formatter, which writes them
# salted and hashed like llm_routing_logs (infra/json_logs.py). Set by the chat's turn runner.
current_log_subject: ContextVar[tuple[str, str] | None] = ContextVar("mestocker_log_subject", default=None)

logger = logging.getLogger("mestocker.router")


@dataclass
class RoutingRecord:
    request_id: str
    classification: str
    entities: dict[str, int]
    topics: list[str]
    recognizer_set_version: str
    policy_version: str
    policy_target: Literal["local", "cloud"]
    model: str | None
    chain: list[str]
    tried: list[str]
    fallback: bool
    reason: str
    legal_basis: str
    outcome: Outcome
    latency_ms: float
    tokens_in: int | None = None
    tokens_out: int | None = None
    masked: bool = False
    complexity_score: float = 0.0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """The chat API's `routing` field."""
        return {
            "classification": self.classification,
            "entities": sorted(self.entities),
            "policy_target": self.policy_target,
            "model": self.model,
            "fallback": self.fallback,
            "reason": self.reason,
        }


def emit(record: RoutingRecord, sink: RecordSink | None = None) -> None:
    """Hand the record to the explicit sink or the context's sink, and log it (no values)."""
    logger.info(
        "routing request=%s level=%s entities=%s target=%s model=%s outcome=%s",
        record.request_id,
        record.classification,
        ",".join(sorted(record.entities)) or "-",
        record.policy_target,
        record.model,
        record.outcome,
    )
    target = sink or current_sink.get()
    if target is not None:
        target(record)


@contextlib.contextmanager
def collect_records() -> Iterator[list[RoutingRecord]]:
    """Collect the records of every routed call made inside the block (one chat turn)."""
    records: list[RoutingRecord] = []
    token = current_sink.set(records.append)
    try:
        yield records
    finally:
        current_sink.reset(token)
