"""A stand-in cloud LLM: an OpenAI chat-completions server on 127.0.0.1 answered by the offline model.

Offline evals never reach a real cloud model, so the leak probe's fake (evals/fake_cloud.py) answers
with canned text. To measure what masking internal-level data costs (`mask_internal_for_cloud`), a
cloud-routed turn needs a real answer — tool calls included — computed from exactly what the router
sent. This server converts the request's `messages` and `tools` to LangChain messages and tool
schemas, calls the built-in offline model bound to those tools and returns its message on the OpenAI
wire (`choices[0].message` with `tool_calls`, or an SSE stream when asked to).

What it measures is the pipeline around a cloud call (placeholders in the text and tool arguments the
model sees, restoration of placeholders in the answer), not a real cloud model's reasoning: the model
behind the wire is the same offline model. `bodies` keeps every request as received, so a test can
check what reached "the cloud".
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, convert_to_messages

MODEL_NAME = "gpt-4o-mini"  # what the router's OpenAI client asks for by default; the answer names the stand-in


def openai_message(message: AIMessage) -> dict[str, Any]:
    """An AI message on the OpenAI wire: text content, tool calls with JSON-encoded arguments."""
    wire: dict[str, Any] = {"role": "assistant", "content": message.text or None}
    if message.tool_calls:
        wire["tool_calls"] = [{"id": call["id"] or f"call_{uuid.uuid4().hex[:24]}", "type": "function",
                               "function": {"name": call["name"],
                                            "arguments": json.dumps(call["args"], ensure_ascii=False)}}
                              for call in message.tool_calls]
    return wire


def _completion(message: dict[str, Any], usage: dict[str, int]) -> dict[str, Any]:
    finish = "tool_calls" if message.get("tool_calls") else "stop"
    return {"id": f"chatcmpl-{uuid.uuid4().hex[:12]}", "object": "chat.completion", "created": int(time.time()),
            "model": "cloud-standin-offline",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}], "usage": usage}


def _chunks(completion: dict[str, Any]) -> list[dict[str, Any]]:
    """The same completion as a stream: one delta with everything, then the finish reason."""
    choice = completion["choices"][0]
    delta = dict(choice["message"])
    if "tool_calls" in delta:
        delta["tool_calls"] = [{**call, "index": i} for i, call in enumerate(delta["tool_calls"])]
    head = {key: completion[key] for key in ("id", "created", "model")} | {"object": "chat.completion.chunk"}
    return [head | {"choices": [{"index": 0, "delta": delta, "finish_reason": None}]},
            head | {"choices": [{"index": 0, "delta": {}, "finish_reason": choice["finish_reason"]}],
                    "usage": completion["usage"]}]


class CloudStandIn:
    """The stand-in provider. `model` answers (the runner sets the offline model over each task's catalog);
    `bodies` holds every request received, as JSON text."""

    def __init__(self, model: BaseChatModel | None = None, *, model_factory: Callable[[], BaseChatModel] | None = None
                 ) -> None:
        self.model = model
        self._factory = model_factory
        self.bodies: list[str] = []
        self.answers: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", "0")))
                request = json.loads(raw or b"{}")
                try:
                    completion = owner.complete(request)
                except Exception as exc:  # the router sees a provider error (500) and falls back, as with a cloud
                    self._send(500, {"error": {"message": f"{type(exc).__name__}: {exc}", "type": "server_error"}})
                    return
                if request.get("stream"):
                    self._stream(completion)
                else:
                    self._send(200, completion)

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                body = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _stream(self, completion: dict[str, Any]) -> None:
                body = "".join(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n" for chunk in _chunks(completion))
                data = (body + "data: [DONE]\n\n").encode()
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def complete(self, request: dict[str, Any]) -> dict[str, Any]:
        """Answer one chat-completions request with the offline model bound to the request's tools."""
        with self._lock:
            self.bodies.append(json.dumps(request, ensure_ascii=False))
            model = self.model or (self._factory() if self._factory else None)
        if model is None:
            raise RuntimeError("the cloud stand-in has no model")
        messages: list[BaseMessage] = convert_to_messages(request.get("messages") or [])
        tools = request.get("tools") or []
        runnable = model.bind_tools(tools) if tools else model
        reply = runnable.invoke(messages)
        if not isinstance(reply, AIMessage):
            raise TypeError(f"the offline model answered {type(reply).__name__}")
        usage: dict[str, Any] = dict(reply.usage_metadata or {})
        completion = _completion(openai_message(reply), {
            "prompt_tokens": int(usage.get("input_tokens", 0)), "completion_tokens": int(usage.get("output_tokens", 0)),
            "total_tokens": int(usage.get("total_tokens", 0))})
        with self._lock:
            self.answers.append(completion["choices"][0]["message"])
        return completion

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{int(self._httpd.server_address[1])}/v1"

    @property
    def settings(self) -> dict[str, str]:
        """Settings that make this server the router's only cloud model (OpenAI wire)."""
        return {"openai_api_key": "standin-key", "openai_base_url": self.base_url, "openai_model": MODEL_NAME,
                "anthropic_api_key": "", "anthropic_base_url": ""}

    def mark(self) -> list[int]:
        return [len(self.bodies)]

    def since(self, mark: list[int]) -> list[str]:
        return self.bodies[mark[0]:]

    def start(self) -> CloudStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
