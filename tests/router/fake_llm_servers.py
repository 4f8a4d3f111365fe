"""Tiny fake LLM servers speaking the OpenAI chat-completions and Anthropic messages wire formats.

Each binds 127.0.0.1 on a free port, records every request body it receives, and stops on
`stop()` or by itself after `lifetime_s` (so a crashed test cannot leave it running).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

Wire = Literal["openai", "anthropic"]


class FakeLlmServer:
    def __init__(self, wire: Wire, reply: str, *, lifetime_s: float = 300.0) -> None:
        self.wire = wire
        self.reply = reply
        self.status = 200
        self.bodies: list[dict[str, Any]] = []
        self.paths: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                raw = self.rfile.read(length)
                server.paths.append(self.path)
                server.bodies.append(json.loads(raw or b"{}"))
                payload = server._payload(self.path)
                body = json.dumps(payload).encode()
                self.send_response(server.status if payload.get("type") != "not_found" else 404)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                return None

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._timer = threading.Timer(lifetime_s, self.stop)
        self._timer.daemon = True

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}" + ("/v1" if self.wire == "openai" else "")

    def start(self) -> FakeLlmServer:
        self._thread.start()
        self._timer.start()
        return self

    def stop(self) -> None:
        self._timer.cancel()
        self._httpd.shutdown()
        self._httpd.server_close()

    def received_text(self) -> str:
        return json.dumps(self.bodies, ensure_ascii=False)

    def _payload(self, path: str) -> dict[str, Any]:
        if self.status >= 500:
            return {"error": {"type": "server_error", "message": "fake outage"}}
        if self.wire == "openai" and path.endswith("/chat/completions"):
            return {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": 0,
                "model": "fake",
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": self.reply}, "finish_reason": "stop"}
                ],
                "usage": {"prompt_tokens": 11, "completion_tokens": 4, "total_tokens": 15},
            }
        if self.wire == "anthropic" and path.endswith("/v1/messages"):
            return {
                "id": "msg_fake",
                "type": "message",
                "role": "assistant",
                "model": "fake",
                "content": [{"type": "text", "text": self.reply}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": 11, "output_tokens": 4},
            }
        return {"type": "not_found"}


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
