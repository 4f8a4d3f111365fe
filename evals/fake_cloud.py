"""Fake cloud LLM servers for the leak probe: OpenAI chat-completions and Anthropic messages wires.

Each binds 127.0.0.1 on a free port and records every request body it receives; the router is
pointed at them as if they were OpenAI and Anthropic (`mestocker eval --leak-probe`). Whatever
protected text shows up in a recorded body is a leak. (tests/router/fake_llm_servers.py is the
router tests' twin, with outage switches this probe does not need.)
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

Wire = Literal["openai", "anthropic"]
REPLY = "Respuesta del servidor de prueba en la nube."


def _payload(wire: Wire) -> dict[str, Any]:
    if wire == "openai":
        return {"id": "chatcmpl-eval", "object": "chat.completion", "created": 0, "model": "eval-fake",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": REPLY}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
    return {"id": "msg_eval", "type": "message", "role": "assistant", "model": "eval-fake",
            "content": [{"type": "text", "text": REPLY}], "stop_reason": "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": 1, "output_tokens": 1}}


class RecordingServer:
    """One fake provider; `bodies` holds every request it received, as JSON text."""

    def __init__(self, wire: Wire) -> None:
        self.wire = wire
        self.bodies: list[str] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", "0")))
                with owner._lock:
                    owner.bodies.append(json.dumps(json.loads(raw or b"{}"), ensure_ascii=False))
                body = json.dumps(_payload(owner.wire)).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        port = int(self._httpd.server_address[1])
        return f"http://127.0.0.1:{port}" + ("/v1" if self.wire == "openai" else "")

    def start(self) -> RecordingServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


class CloudProbe:
    """Both fake providers, and the settings that point the router at them."""

    def __init__(self) -> None:
        self.servers = [RecordingServer("openai").start(), RecordingServer("anthropic").start()]

    @property
    def settings(self) -> dict[str, str]:
        openai, anthropic = self.servers
        return {"openai_api_key": "eval-fake-key", "openai_base_url": openai.base_url,
                "anthropic_api_key": "eval-fake-key", "anthropic_base_url": anthropic.base_url}

    def mark(self) -> list[int]:
        return [len(s.bodies) for s in self.servers]

    def since(self, mark: list[int]) -> list[str]:
        """Every body received after `mark`."""
        return [body for server, start in zip(self.servers, mark, strict=True) for body in server.bodies[start:]]

    def stop(self) -> None:
        for server in self.servers:
            server.stop()
