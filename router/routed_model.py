"""RoutedChatModel: a LangChain chat model that classifies, decides and falls back on every call.

Each call classifies everything it is about to send — user messages, earlier answers, tool calls
and tool results (the system prompt is ours and holds no user data) — so a thread that has seen
sensitive data stays local for as long as that data is in the context. Then it estimates the
complexity of the latest user message, asks the policy for a chain and tries it in order,
skipping models whose circuit breaker is open. Tools bound to the router are bound to whichever
model answers.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from pydantic import ConfigDict, Field

from router.breaker import is_outage
from router.classifier import Classification, Level, Masker, classify_messages, unmask
from router.complexity import estimate_complexity, estimate_tokens
from router.models import ModelRegistry, RegisteredModel
from router.policy import Policy, RoutingDecision, decide, load_default_policy
from router.recognizers import RECOGNIZER_SET_VERSION
from router.recording import RecordSink, RoutingRecord, cloud_transfer_allowed, current_request_id, emit

NO_TRANSFER_REASON = "El titular no autorizó la transferencia internacional: solo modelos locales."
UNAVAILABLE_TEXT = "El asistente no está disponible en este momento. Intenta de nuevo en unos minutos."


def message_text(message: BaseMessage) -> str:
    """All user-derived text of a message: its text (str or text blocks) plus tool-call arguments."""
    # BaseMessage.text reads both a str content and a list of content blocks (str or type "text").
    parts = [str(message.text)]
    for call in getattr(message, "tool_calls", None) or []:
        parts.append(json.dumps(call.get("args", {}), ensure_ascii=False))
    return "\n".join(part for part in parts if part)


def _latest_human_text(messages: Sequence[BaseMessage]) -> str:
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return message_text(message)
    return ""


def _mask_value(value: Any, masker: Masker) -> Any:
    if isinstance(value, str):
        return masker.mask(value)
    if isinstance(value, dict):
        return {key: _mask_value(item, masker) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask_value(item, masker) for item in value]
    return value


def _unmask_value(value: Any, mapping: dict[str, str]) -> Any:
    if isinstance(value, str):
        return unmask(value, mapping)
    if isinstance(value, dict):
        return {key: _unmask_value(item, mapping) for key, item in value.items()}
    if isinstance(value, list):
        return [_unmask_value(item, mapping) for item in value]
    return value


def _mask_content(message: BaseMessage, masker: Masker) -> Any:
    """The message's content masked. A tool result that is JSON text is masked value by value and written
    back as JSON. Masking its raw text lets an entity swallow part of an escape sequence (the `n` of an
    escaped newline read as the first letter of an email), which leaves a lone backslash: the model gets a
    result it can no longer parse, and the mapping a wrong value."""
    content = message.content
    if isinstance(message, ToolMessage) and isinstance(content, str) and content[:1] in ("{", "["):
        try:
            data = json.loads(content)
        except ValueError:
            return _mask_value(content, masker)
        return json.dumps(_mask_value(data, masker), ensure_ascii=False)
    return _mask_value(content, masker)


def mask_messages(messages: Sequence[BaseMessage], masker: Masker) -> list[BaseMessage]:
    """Copies of `messages` with entities replaced in contents and tool-call arguments."""
    masked: list[BaseMessage] = []
    for message in messages:
        update: dict[str, Any] = {"content": _mask_content(message, masker)}
        if isinstance(message, AIMessage) and message.tool_calls:
            update["tool_calls"] = [{**call, "args": _mask_value(call["args"], masker)} for call in message.tool_calls]
        masked.append(message.model_copy(update=update))
    return masked


def unmask_message(message: AIMessage, mapping: dict[str, str]) -> AIMessage:
    update: dict[str, Any] = {"content": _unmask_value(message.content, mapping)}
    if message.tool_calls:
        update["tool_calls"] = [{**call, "args": _unmask_value(call["args"], mapping)} for call in message.tool_calls]
    return message.model_copy(update=update)


@dataclass
class _Attempt:
    """What happened while walking one decision's chain."""

    decision: RoutingDecision
    classification: Classification
    complexity_score: float
    started: float = field(default_factory=time.perf_counter)
    tried: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class RoutedChatModel(BaseChatModel):
    """Chat model that routes each call by privacy level and complexity, failing closed."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    registry: ModelRegistry
    policy: Policy = Field(default_factory=load_default_policy)
    sink: RecordSink | None = None
    bound_tools: list[Any] = Field(default_factory=list)
    tool_kwargs: dict[str, Any] = Field(default_factory=dict)

    @property
    def _llm_type(self) -> str:
        return "mestocker-routed"

    def bind_tools(  # type: ignore[override]
        self, tools: Sequence[Any], *, tool_choice: str | None = None, **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Remember the tools; each underlying model gets them bound in its own wire format."""
        extra = dict(kwargs)
        if tool_choice is not None:
            extra["tool_choice"] = tool_choice
        return self.model_copy(update={"bound_tools": list(tools), "tool_kwargs": extra})

    # -- deciding -----------------------------------------------------------------------------

    def plan(self, messages: Sequence[BaseMessage]) -> _Attempt:
        """Classify what would be sent and choose the chain (no model is called)."""
        texts = [message_text(m) for m in messages if not isinstance(m, SystemMessage)]
        try:
            classification = classify_messages(texts)
        except Exception:  # fail closed: if we cannot tell, treat it as the most protected level
            classification = Classification(Level.CONFIDENTIAL, {}, (), "classifier failed: treated as confidential")
        context_tokens = sum(estimate_tokens(message_text(m)) for m in messages)
        complexity = estimate_complexity(
            _latest_human_text(messages), context_tokens=context_tokens, threshold=self.policy.complexity_threshold
        )
        if cloud_transfer_allowed.get():
            decision = decide(classification, complexity, self.registry.models, self.policy)
        else:  # the subject did not authorise international transfer: the cloud does not exist for them
            local = [model for model in self.registry.models if model.kind != "cloud"]
            decision = decide(classification, complexity, local, self.policy)
            decision = replace(decision, cloud_models=frozenset(),
                               reason=f"{decision.reason} {NO_TRANSFER_REASON}".strip())
        return _Attempt(decision, classification, complexity.score)

    def _candidates(self, attempt: _Attempt) -> list[RegisteredModel]:
        chosen: list[RegisteredModel] = []
        for name in attempt.decision.chain:
            entry = self.registry.get(name)
            if entry is None:
                continue
            # Defence in depth: a cloud model must have been allowed by the decision itself.
            allowed = not attempt.decision.level.local_only and name in attempt.decision.cloud_models
            if entry.kind == "cloud" and not allowed:
                continue
            chosen.append(entry)
        return chosen

    def _prepare(
        self, entry: RegisteredModel, messages: list[BaseMessage], attempt: _Attempt
    ) -> tuple[Runnable[LanguageModelInput, BaseMessage], list[BaseMessage], dict[str, str]]:
        runnable: Runnable[LanguageModelInput, BaseMessage] = entry.model
        if self.bound_tools:
            runnable = entry.model.bind_tools(self.bound_tools, **self.tool_kwargs)
        if entry.kind == "cloud" and attempt.decision.mask_for_cloud:
            masker = Masker()
            return runnable, mask_messages(messages, masker), masker.mapping
        return runnable, messages, {}

    # -- calling ------------------------------------------------------------------------------

    def _admitted(self, attempt: _Attempt) -> Iterator[RegisteredModel]:
        """The chain's models in order, skipping (and noting) those whose circuit is open."""
        for entry in self._candidates(attempt):
            if not entry.breaker.allow():
                attempt.errors.append(f"{entry.name}: circuit open")
                continue
            attempt.tried.append(entry.name)
            yield entry

    @staticmethod
    def _failed(attempt: _Attempt, entry: RegisteredModel, exc: Exception) -> None:
        """Note the failure; the caller moves on down the chain either way."""
        if is_outage(exc):
            entry.breaker.record_failure()
        else:
            # The provider answered (a 4xx: our request was wrong): it is up, so a half-open probe
            # has its answer and earlier outages no longer count as consecutive.
            entry.breaker.record_success()
        status = getattr(exc, "status_code", None)
        attempt.errors.append(f"{entry.name}: {type(exc).__name__}" + (f" {status}" if status else ""))

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        attempt = self.plan(messages)
        for entry in self._admitted(attempt):
            runnable, payload, mapping = self._prepare(entry, messages, attempt)
            try:
                answer = runnable.invoke(payload, stop=stop, **kwargs)
            except Exception as exc:  # any failure moves on down the chain
                self._failed(attempt, entry, exc)
                continue
            entry.breaker.record_success()
            return self._finish(attempt, entry, answer, mapping)
        return self._finish(attempt, None, None, {})

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        attempt = self.plan(messages)
        for entry in self._admitted(attempt):
            runnable, payload, mapping = self._prepare(entry, messages, attempt)
            try:
                answer = await runnable.ainvoke(payload, stop=stop, **kwargs)
            except Exception as exc:
                self._failed(attempt, entry, exc)
                continue
            entry.breaker.record_success()
            return self._finish(attempt, entry, answer, mapping)
        return self._finish(attempt, None, None, {})

    def _finish(
        self,
        attempt: _Attempt,
        entry: RegisteredModel | None,
        answer: BaseMessage | None,
        mapping: dict[str, str],
    ) -> ChatResult:
        if entry is None or not isinstance(answer, AIMessage):
            message = AIMessage(content=UNAVAILABLE_TEXT)
            outcome, model_name = "unavailable", None
        else:
            message = unmask_message(answer, mapping) if mapping else answer
            model_name = entry.name
            first = attempt.decision.chain[0] if attempt.decision.chain else None
            outcome = "ok" if model_name == first else "fallback"
        record = self._record(attempt, model_name, outcome, message, masked=bool(mapping))
        message = message.model_copy(
            update={"response_metadata": {**message.response_metadata, "routing": record.summary()}}
        )
        emit(record, self.sink)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _record(
        self, attempt: _Attempt, model_name: str | None, outcome: Any, message: AIMessage, *, masked: bool
    ) -> RoutingRecord:
        usage: dict[str, Any] = dict(message.usage_metadata or {})
        decision = attempt.decision
        return RoutingRecord(
            request_id=current_request_id.get() or uuid.uuid4().hex,
            classification=attempt.classification.level.value,
            entities=dict(attempt.classification.entities),
            topics=list(attempt.classification.topics),
            recognizer_set_version=RECOGNIZER_SET_VERSION,
            policy_version=self.policy.version,
            policy_target=decision.policy_target,
            model=model_name,
            chain=list(decision.chain),
            tried=list(attempt.tried),
            fallback=outcome != "ok",
            reason=decision.reason,
            legal_basis=decision.legal_basis,
            outcome=outcome,
            latency_ms=round((time.perf_counter() - attempt.started) * 1000, 2),
            tokens_in=usage.get("input_tokens"),
            tokens_out=usage.get("output_tokens"),
            masked=masked,
            complexity_score=attempt.complexity_score,
            errors=list(attempt.errors),
        )
