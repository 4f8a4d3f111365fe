"""The worker's health port: /healthz, /readyz and /metrics for a process that serves no HTTP API.

`mestocker worker` starts it when MESTOCKER_WORKER_HEALTH_PORT is set (the Helm chart's liveness and
readiness probes and Prometheus use it; 0, the default, starts nothing). The same readiness checks
as the API's /readyz (infra/readiness.py); /metrics is the process's Prometheus registry when
prometheus-client is installed.
"""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from infra.readiness import check_dependencies

if TYPE_CHECKING:
    from infra.bootstrap import Platform

log = logging.getLogger(__name__)


def _metrics() -> tuple[bytes, str] | None:
    try:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
    except ImportError:
        return None
    return generate_latest(), CONTENT_TYPE_LATEST


def serve_health(platform: Platform, port: int, host: str = "0.0.0.0") -> ThreadingHTTPServer:
    """Serve the probes on `host:port` from a daemon thread; `shutdown()` the returned server to stop."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:  # probes every few seconds: not worth a log line
            pass

        def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/healthz":
                self._send(200, b'{"status":"ok"}')
            elif path == "/readyz":
                results = check_dependencies(platform)
                ready = all(results.values())
                body = {"status": "ok" if ready else "unavailable",
                        **{name: "ok" if up else "down" for name, up in results.items()}}
                self._send(200 if ready else 503, json.dumps(body).encode())
            elif path == "/metrics" and (metrics := _metrics()) is not None:
                self._send(200, metrics[0], metrics[1])
            else:
                self._send(404, b'{"detail":"No encontrado."}')

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="mestocker-health", daemon=True).start()
    log.info("worker health port on %s:%s (/healthz, /readyz, /metrics)", host, server.server_address[1])
    return server
