"""Prometheus metrics (prometheus-client): what `/metrics` exposes and the hooks that feed it.

Counters and histograms are process-wide (one registry per process); values read from the database or
from adapters at scrape time (outbox backlog and lag, reorder proposals, cache hit counts, breaker states)
come from `PlatformCollector`, registered once per platform. With `mestocker serve --workers N` set
PROMETHEUS_MULTIPROC_DIR so the counters of every worker are summed (docs/performance.md).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector
from sqlalchemy import func, select

from commerce.shared.outbox import OutboxMessage

if TYPE_CHECKING:
    from infra.bootstrap import Platform
    from router.recording import RoutingRecord

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP_REQUESTS = Counter("mestocker_http_requests", "HTTP requests by route template, method and status",
                        ["method", "route", "status"])
HTTP_LATENCY = Histogram("mestocker_http_request_duration_seconds", "HTTP request latency by route template",
                         ["method", "route"], buckets=LATENCY_BUCKETS)
CHAT_TURNS = Counter("mestocker_chat_turns", "Chat turns by the agent that answered and the outcome",
                     ["agent", "outcome"])
CHAT_IN_FLIGHT = Gauge("mestocker_chat_turns_in_flight", "Chat turns running now (the HPA's custom metric)",
                       multiprocess_mode="livesum")
TOOL_CALLS = Counter("mestocker_tool_calls", "Tool calls of chat turns by tool and status", ["tool", "status"])
ROUTING_DECISIONS = Counter("mestocker_routing_decisions", "Privacy-router decisions by classification and target",
                            ["level", "target"])
MODEL_LATENCY = Histogram("mestocker_model_latency_seconds", "Model call latency by the model that answered",
                          ["model"], buckets=LATENCY_BUCKETS)
MODEL_TOKENS = Counter("mestocker_model_tokens", "Model tokens by model and direction", ["model", "direction"])
MODEL_FALLBACKS = Counter("mestocker_model_fallbacks", "Model calls answered by a fallback, by outcome",
                          ["outcome"])
COMMERCE_ERRORS = Counter("mestocker_commerce_errors", "Refused commands and reads by error type (OutOfStock is a "
                          "reservation conflict)", ["error"])


def route_of(scope: dict[str, Any]) -> str:
    """The route template (`/v1/inventory/{sku}`), never the raw path: labels stay few and carry no data."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"


class MetricsMiddleware:
    """Pure ASGI middleware: counts and times every HTTP request by route template, method and status."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status["code"] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = route_of(scope)
            HTTP_REQUESTS.labels(scope["method"], route, str(status["code"])).inc()
            HTTP_LATENCY.labels(scope["method"], route).observe(time.perf_counter() - started)


class ChatMetrics:
    """The chat service's observer: turns in flight, turns by agent and outcome, tool calls by status."""

    def started(self) -> None:
        CHAT_IN_FLIGHT.inc()

    def finished(self, agent: str, outcome: str, tools: Sequence[tuple[str, str]]) -> None:
        CHAT_IN_FLIGHT.dec()
        CHAT_TURNS.labels(agent, outcome).inc()
        for name, status in tools:
            TOOL_CALLS.labels(name, status).inc()


def observe_routing(records: Iterable[RoutingRecord]) -> None:
    """Count a turn's routing decisions, model latencies, tokens and fallbacks (no conversation data)."""
    for record in records:
        model = record.model or "none"
        ROUTING_DECISIONS.labels(record.classification, record.policy_target).inc()
        MODEL_LATENCY.labels(model).observe(record.latency_ms / 1000)
        if record.tokens_in:
            MODEL_TOKENS.labels(model, "in").inc(record.tokens_in)
        if record.tokens_out:
            MODEL_TOKENS.labels(model, "out").inc(record.tokens_out)
        if record.fallback or record.outcome != "ok":
            MODEL_FALLBACKS.labels(record.outcome).inc()


def routing_observed(writer: Callable[..., None] | None) -> Callable[..., None]:
    """A routing-log writer that also counts what it writes."""

    def write(records: list[RoutingRecord], **kwargs: Any) -> None:
        observe_routing(records)
        if writer is not None:
            writer(records, **kwargs)

    return write


class PlatformCollector(Collector):
    """Values read at scrape time: outbox backlog and lag, reorder proposals by status, read-cache counts, and
    the circuit breakers' states (0 closed, 1 half-open, 2 open)."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.breakers: Callable[[], dict[str, str]] = dict

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self._outbox()
        yield from self._proposals()
        yield from self._cache()
        states = GaugeMetricFamily("mestocker_model_breaker_state", "Circuit breaker state per model "
                                   "(0 closed, 1 half-open, 2 open)", labels=["model"])
        for model, state in self.breakers().items():
            states.add_metric([model], {"closed": 0, "half_open": 1, "open": 2}.get(state, 2))
        yield states

    def _outbox(self) -> Iterator[GaugeMetricFamily]:
        backlog = GaugeMetricFamily("mestocker_outbox_backlog", "Outbox events not yet published")
        lag = GaugeMetricFamily("mestocker_outbox_lag_seconds", "Age of the oldest unpublished outbox event")
        try:
            with self.platform.read_session_factory() as session:
                count, oldest = session.execute(
                    select(func.count(), func.min(OutboxMessage.occurred_at))
                    .where(OutboxMessage.published_at.is_(None))).one()
        except Exception:
            return
        backlog.add_metric([], float(count or 0))
        age = 0.0
        if oldest is not None:
            from commerce.shared.clock import as_utc, utcnow

            age = max(0.0, (utcnow() - as_utc(oldest)).total_seconds())
        lag.add_metric([], age)
        yield backlog
        yield lag

    def _proposals(self) -> Iterator[GaugeMetricFamily]:
        from commerce.fulfillment.reorder_proposals import ReorderProposal

        family = GaugeMetricFamily("mestocker_reorder_proposals", "Reorder proposals by status", labels=["status"])
        try:
            with self.platform.read_session_factory() as session:
                rows = session.execute(select(ReorderProposal.status, func.count()).group_by(ReorderProposal.status))
                for status, count in rows:
                    family.add_metric([str(status)], float(count))
        except Exception:
            return
        yield family

    def _cache(self) -> Iterator[GaugeMetricFamily]:
        stats = getattr(self.platform.cache, "stats", None)
        family = GaugeMetricFamily("mestocker_cache_operations", "Read-cache operations of this process by result",
                                   labels=["cache", "result"])
        if stats is not None:
            for result in ("hits", "misses", "errors", "invalidations"):
                family.add_metric([self.platform.cache.name, result], float(getattr(stats, result)))
        yield family


def install_collector(platform: Platform, breakers: Callable[[], dict[str, str]] | None = None) -> PlatformCollector:
    """Register the platform's scrape-time values (replacing a previous platform's: tests build many)."""
    global _collector
    if _collector is not None:
        REGISTRY.unregister(_collector)
    _collector = PlatformCollector(platform)
    if breakers is not None:
        _collector.breakers = breakers
    REGISTRY.register(_collector)
    return _collector


_collector: PlatformCollector | None = None


def exposition() -> tuple[bytes, str]:
    """The text format of every metric of this process (or, in multiprocess mode, of every worker)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        if _collector is not None:
            registry.register(_collector)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
