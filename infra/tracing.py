"""OpenTelemetry traces: HTTP → chat turn → agent → tool (agents/tracing.py) → database (SQLAlchemy
instrumentation), exported over OTLP/HTTP when MESTOCKER_OTLP_ENDPOINT or the standard
OTEL_EXPORTER_OTLP_ENDPOINT is set. Nothing configured: the API's no-op tracer, no cost beyond a call.

The HTTP server span is FastAPI's own (fastapi.telemetry, active once a tracer provider is set): named by
route template, and it continues a W3C `traceparent` from the gateway.
"""

from __future__ import annotations

import os
import weakref

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from sqlalchemy.engine import Engine

_installed: list[TracerProvider] = []
_traced: weakref.WeakSet[Engine] = weakref.WeakSet()


def otlp_endpoint(configured: str) -> str:
    return configured or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "")


def configure_tracing(endpoint: str, *, engines: list[Engine], exporter: SpanExporter | None = None
                      ) -> TracerProvider | None:
    """Install a tracer provider exporting to `endpoint` (or to `exporter`, in tests) and trace `engines`.
    Returns None (and installs nothing) when neither is given. The global provider is set once per process."""
    if exporter is None and not endpoint:
        return None
    if _installed:
        provider = _installed[0]
    else:
        provider = TracerProvider(resource=Resource.create({"service.name": os.environ.get(
            "OTEL_SERVICE_NAME", "mestocker-api")}))
        trace.set_tracer_provider(provider)
        _installed.append(provider)
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        # OTEL_EXPORTER_OTLP_ENDPOINT is the base URL; the traces path is appended as the standard says.
        url = endpoint if endpoint.rstrip("/").endswith("/v1/traces") else endpoint.rstrip("/") + "/v1/traces"
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=url)))
    trace_engines(engines, provider)
    return provider


def trace_engines(engines: list[Engine], provider: TracerProvider) -> None:
    """Database spans for these engines (the instrumentation's per-engine tracer: no global patching of
    create_engine, whose async half needs greenlet, and its version pin stops at SQLAlchemy 2.0)."""
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import get_meter

    tracer_ = trace.get_tracer("opentelemetry.instrumentation.sqlalchemy", tracer_provider=provider)
    usage = get_meter("mestocker.db").create_up_down_counter("db.client.connections.usage")
    for engine in engines:
        if engine not in _traced:  # once per engine
            EngineTracer(tracer_, engine, usage)
            _traced.add(engine)
