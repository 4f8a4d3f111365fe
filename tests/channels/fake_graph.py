"""A local stand-in for the WhatsApp Cloud API (Graph API): real HTTP on 127.0.0.1, records every request."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_VERSION = "v21.0"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    status: int

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out and hung up is expected in the timeout test


@dataclass(frozen=True)
class _Failure:
    status: int
    error_code: int


class FakeGraphAPI:
    """Answers `POST /{version}/{phone_number_id}/messages` like Meta does; can be told to fail or be slow."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.delay_seconds = 0.0
        self._failures: deque[_Failure] = deque()
        self._lock = threading.Lock()
        self._counter = 0
        self._server = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-graph-api", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/{API_VERSION}"

    def start(self) -> FakeGraphAPI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def fail_next(self, times: int = 1, *, status: int = 500, error_code: int = 1) -> None:
        """Answer the next `times` requests with `status` and a Graph error body."""
        with self._lock:
            self._failures.extend(_Failure(status, error_code) for _ in range(times))

    def sent(self) -> list[dict[str, Any]]:
        """Bodies of the messages Meta accepted."""
        with self._lock:
            return [r.body for r in self.requests if r.ok]

    def _respond(self, method: str, path: str, headers: dict[str, str], body: dict[str, Any]) -> tuple[int, bytes]:
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        with self._lock:
            failure = self._failures.popleft() if self._failures else None
            self._counter += 1
            status = failure.status if failure else 200
            self.requests.append(RecordedRequest(method, path, headers, body, status))
            if failure is not None:
                reply: dict[str, Any] = {"error": {"message": "fake failure", "type": "OAuthException",
                                                   "code": failure.error_code}}
            else:
                reply = {"messaging_product": "whatsapp", "contacts": [{"input": body.get("to"),
                                                                        "wa_id": body.get("to")}],
                         "messages": [{"id": f"wamid.fake-{self._counter}"}]}
        return status, json.dumps(reply).encode()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"_raw": raw.decode(errors="replace")}
                status, reply = fake._respond("POST", self.path, dict(self.headers.items()), body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
