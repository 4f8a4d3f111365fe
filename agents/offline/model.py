"""OfflineChatModel: a deterministic Spanish tool-calling chat model (no network, no weights)."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, ToolCall, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict

from agents.handoffs import HANDOFF_PREFIX, is_handoff
from agents.offline.compose import KNOWLEDGE_TOOL, compose, parse_result
from agents.offline.decision import Decision, ThreadContext
from agents.offline.extract import extract
from agents.offline.lexicon import Lexicon
from agents.offline.normalize import parse
from agents.offline.planner import companion, decide
from tools.registry import TOOL_OWNER

MODEL_NAME = "mestocker-offline"
# Where a clarifying question records the tool and the arguments it already has (read back next turn).
ASKED_KEY = "offline_asked"
MAX_HANDOFFS_PER_TURN = 3
_DEFAULT_SHARED_OWNER = "order"
ESCALATION_TOOL = "escalate_to_human"  # what an unanswered knowledge question offers
_MAX_QUOTE = 240


class OfflineChatModel(BaseChatModel):
    """Reads the thread and the bound tools; answers with one tool call, one question or one reply."""

    lexicon: Lexicon | None = None
    lexicon_provider: Callable[[], Lexicon] | None = None
    model_name: str = MODEL_NAME

    model_config = ConfigDict(arbitrary_types_allowed=True)

    @property
    def _llm_type(self) -> str:
        return MODEL_NAME

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name}

    def current_lexicon(self) -> Lexicon:
        if self.lexicon_provider is not None:
            return self.lexicon_provider()
        return self.lexicon or Lexicon()

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools (as OpenAI tool schemas); tool_choice, parallel_tool_calls, strict… are accepted and ignored."""
        formatted = [convert_to_openai_tool(t) for t in tools]
        return self.bind(tools=formatted)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        schemas = _tool_schemas(kwargs.get("tools") or [])
        message = respond(messages, schemas, self.current_lexicon())
        message.response_metadata = {"model_name": self.model_name, "finish_reason": _finish(message)}
        message.usage_metadata = _usage(messages, message)
        return ChatResult(generations=[ChatGeneration(message=message)])


def respond(messages: Sequence[BaseMessage], tools: dict[str, dict[str, Any]], lexicon: Lexicon) -> AIMessage:
    """The next AI message for this thread given the bound tools (name → JSON schema of the arguments)."""
    human_at = _last_human(messages)
    if human_at is None:
        return AIMessage(content="¡Hola! ¿En qué te puedo ayudar?")
    tail = list(messages[human_at + 1 :])
    names_by_id = _tool_names_by_id(messages)
    results = [
        (names_by_id.get(m.tool_call_id, m.name or ""), m.text)
        for m in tail
        if isinstance(m, ToolMessage) and not is_handoff(names_by_id.get(m.tool_call_id, m.name or ""))
    ]
    text = messages[human_at].text
    ctx = thread_context(messages[:human_at], lexicon)
    handoffs = [tc["name"] for m in tail if isinstance(m, AIMessage) for tc in m.tool_calls if is_handoff(tc["name"])]
    if results and not isinstance(messages[-1], AIMessage):
        follow = _companion(text, results, ctx, lexicon)
        if follow is not None:
            return _route(follow, tools, handoffs, ctx, text, _call_seed(messages))
        calls = [tc for m in tail if isinstance(m, AIMessage) for tc in m.tool_calls]
        return _answer(text, results, calls, tools, lexicon)
    decision = decide(text, ctx, lexicon)
    seed = _call_seed(messages)
    return _route(decision, tools, handoffs, ctx, text, seed)


def _companion(text: str, results: Sequence[tuple[str, str]], ctx: ThreadContext, lexicon: Lexicon
               ) -> Decision | None:
    """Another tool the answer needs (a rule's `then`), only while every result so far is ok: a refusal or
    an error is answered as it is."""
    if any(parse_result(content).get("status") != "ok" for _, content in results):
        return None
    return companion(text, [name for name, _ in results], ctx, lexicon)


def _answer(text: str, results: Sequence[tuple[str, str]], calls: list[ToolCall], tools: dict[str, dict[str, Any]],
            lexicon: Lexicon) -> AIMessage:
    """The composed reply; when the knowledge base had nothing, it offers a person and a "sí" accepts."""
    # The knowledge passages answer the query the search was given (it may differ from the message).
    query = next((str(tc["args"].get("query") or "") for tc in calls if tc["name"] == KNOWLEDGE_TOOL), "") or text
    reply = AIMessage(content=compose(results, lexicon, question=query))
    unanswered = any(name == KNOWLEDGE_TOOL and not parse_result(content).get("data") for name, content in results)
    if unanswered and ESCALATION_TOOL in tools:
        asked = " ".join(text.split())[:_MAX_QUOTE]
        summary = f"El usuario preguntó «{asked}» y la base de conocimiento no lo responde."
        reply.additional_kwargs[ASKED_KEY] = {"tool": ESCALATION_TOOL, "args": {"summary": summary}, "offer": True}
    return reply


def thread_context(history: Sequence[BaseMessage], lexicon: Lexicon) -> ThreadContext:
    """What earlier turns settled (last tool and its arguments, last product and order)."""
    ctx = ThreadContext()
    for m in history:
        if isinstance(m, AIMessage):
            ctx.remember_question(None if m.tool_calls else m.additional_kwargs.get(ASKED_KEY))
            for tc in m.tool_calls:
                if not is_handoff(tc["name"]):
                    ctx.remember_call(tc["name"], tc.get("args") or {})
        elif m.type == "human":
            ctx.remember_text(extract(parse(m.text), lexicon))
        elif isinstance(m, ToolMessage):
            ctx.remember_result(_result_data(m), lexicon.order_prefix)
    return ctx


def _result_data(message: ToolMessage) -> Any:
    try:
        return json.loads(message.text).get("data")
    except (ValueError, AttributeError):
        return None


def _route(
    decision: Decision, tools: dict[str, dict[str, Any]], handoffs: list[str], ctx: ThreadContext, text: str,
    seed: str,
) -> AIMessage:
    tool = decision.tool
    if tool is None:
        return AIMessage(content=decision.text or "")
    if tool in tools:
        if decision.text:
            asked = {"tool": tool, "args": _fit(decision.args, tools[tool])}
            return AIMessage(content=decision.text, additional_kwargs={ASKED_KEY: asked})
        return _call(tool, _fit(decision.args, tools[tool]), seed)
    handoff = _handoff_tool(tool, tools, handoffs, ctx)
    if handoff and len(handoffs) < MAX_HANDOFFS_PER_TURN:
        return _call(handoff, _handoff_args(tools[handoff], text), seed)
    if decision.text:
        return AIMessage(content=decision.text)
    return AIMessage(content="Eso no lo puedo hacer desde aquí. ¿Te ayudo con otra cosa?")


def _handoff_tool(tool: str, tools: dict[str, dict[str, Any]], done: list[str], ctx: ThreadContext) -> str | None:
    """transfer_to_<agent that owns the tool>, unless this turn already went there."""
    owner = TOOL_OWNER.get(tool) or TOOL_OWNER.get(ctx.tool or "") or _DEFAULT_SHARED_OWNER
    candidates = [f"{HANDOFF_PREFIX}{owner}"]
    if tool not in TOOL_OWNER:  # shared tools live in every agent
        candidates += sorted(name for name in tools if is_handoff(name))
    return next((name for name in candidates if name in tools and name not in done), None)


def _handoff_args(schema: dict[str, Any], text: str) -> dict[str, Any]:
    """Fill the string arguments a handoff tool asks for (reason, task, summary…) with the request."""
    props: dict[str, Any] = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    reason = f"El usuario pide: {' '.join(text.split())[:200]}"
    return {
        name: reason
        for name, spec in props.items()
        if (name in required or name in ("reason", "task", "summary", "message", "query"))
        and spec.get("type", "string") == "string"
    }


def _fit(args: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    props = schema.get("properties")
    return {k: v for k, v in args.items() if k in props} if props else dict(args)


def _call(name: str, args: dict[str, Any], seed: str) -> AIMessage:
    # Unique per call, like a hosted model's ids: write tools key their exactly-once record on it, so two
    # identical requests in a re-created thread must not share an id (a replayed resume reuses the stored one).
    nonce = uuid.uuid4().hex
    call_id = "call_" + hashlib.sha256(f"{seed}|{name}|{json.dumps(args, sort_keys=True)}|{nonce}".encode()
                                       ).hexdigest()[:24]
    return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": call_id, "type": "tool_call"}])


def _call_seed(messages: Sequence[BaseMessage]) -> str:
    """Deterministic per thread position: same thread → same ids; a new turn → new ids."""
    digest = hashlib.sha256()
    for m in messages:
        digest.update(f"{m.type}:{m.text}\n".encode())
    return f"{digest.hexdigest()}:{sum(isinstance(m, AIMessage) for m in messages)}"


def _tool_schemas(tools: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    schemas = {}
    for t in tools:
        fn = t.get("function", t)
        if fn.get("name"):
            schemas[fn["name"]] = fn.get("parameters") or {}
    return schemas


def _tool_names_by_id(messages: Sequence[BaseMessage]) -> dict[str, str]:
    return {tc["id"] or "": tc["name"] for m in messages if isinstance(m, AIMessage) for tc in m.tool_calls}


def _last_human(messages: Sequence[BaseMessage]) -> int | None:
    return next((i for i in range(len(messages) - 1, -1, -1) if messages[i].type == "human"), None)


def _finish(message: AIMessage) -> str:
    return "tool_calls" if message.tool_calls else "stop"


def _usage(messages: Sequence[BaseMessage], out: AIMessage) -> Any:
    """Approximate token counts (words), enough for dashboards and budgets."""
    prompt = sum(len(m.text.split()) for m in messages)
    completion = len(out.text.split()) + sum(len(json.dumps(tc["args"]).split()) + 1 for tc in out.tool_calls)
    return {"input_tokens": prompt, "output_tokens": completion, "total_tokens": prompt + completion}
