"""Fakes for the router tests: chat models that subclass LangChain's BaseChatModel."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from pydantic import Field

from router.policy import Policy


class FakeChatModel(BaseChatModel):
    """Answers with a fixed text (or fails); remembers every message list it was given."""

    reply: str = "listo"
    fail: bool = False
    calls: list[list[BaseMessage]] = Field(default_factory=list)
    tools: list[Any] = Field(default_factory=list)
    usage: dict[str, int] | None = None

    @property
    def _llm_type(self) -> str:
        return "fake"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Runnable[LanguageModelInput, AIMessage]:
        # Share the call log with the bound copy so a test can inspect what reached "the model".
        bound = self.model_copy(update={"tools": list(tools)})
        bound.calls = self.calls
        return bound

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.calls.append(list(messages))
        if self.fail:
            raise ConnectionError("fake model down")
        message = AIMessage(content=self.reply, usage_metadata=self.usage)  # type: ignore[arg-type]
        if self.tools:
            message.response_metadata["tools"] = [getattr(t, "name", str(t)) for t in self.tools]
        return ChatResult(generations=[ChatGeneration(message=message)])


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def policy() -> Policy:
    return Policy.load()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
