"""Model registry: only what is configured exists.

* ``local`` — any OpenAI-compatible endpoint (vLLM in production, llama.cpp or Ollama too);
* ``cloud`` — OpenAI and Anthropic;
* ``offline`` — the deterministic built-in model the caller passes in (built by agents/).

The router reads no environment: the composition root (infra/bootstrap.py) builds a
`RouterConfig` from the settings (MESTOCKER_LOCAL_LLM_*, OPENAI_*, ANTHROPIC_*, …).
Every model gets its own circuit breaker; timeouts and retries are set on the clients.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel

from router.breaker import CircuitBreaker
from router.policy import OFFLINE, ModelKind


@dataclass(frozen=True, kw_only=True)
class RouterConfig:
    """What the settings configure; None means "not configured" (the model does not exist)."""

    openai_model: str
    anthropic_model: str
    timeout_s: float
    max_retries: int
    local_llm_base_url: str | None = None
    local_llm_model: str | None = None
    local_llm_api_key: str | None = None
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    anthropic_api_key: str | None = None
    anthropic_base_url: str | None = None
    breaker_failures: int = 3
    breaker_open_s: float = 30.0

    def __repr__(self) -> str:  # never print keys
        hidden = {"local_llm_api_key", "openai_api_key", "anthropic_api_key"}
        shown = ", ".join(
            f"{name}={'***' if name in hidden and value else value!r}" for name, value in vars(self).items()
        )
        return f"RouterConfig({shown})"


@dataclass
class RegisteredModel:
    name: str
    kind: ModelKind
    model: BaseChatModel
    breaker: CircuitBreaker = field(default_factory=CircuitBreaker)


class ModelRegistry:
    """The configured models in preference order (within a kind, insertion order)."""

    def __init__(self, models: list[RegisteredModel]) -> None:
        names = [m.name for m in models]
        if len(names) != len(set(names)):
            raise ValueError("model names must be unique")
        self.models = list(models)
        self._by_name = {m.name: m for m in models}

    def get(self, name: str) -> RegisteredModel | None:
        return self._by_name.get(name)

    def of_kind(self, kind: ModelKind) -> list[RegisteredModel]:
        return [m for m in self.models if m.kind == kind]

    @classmethod
    def from_config(
        cls,
        config: RouterConfig,
        *,
        offline_model: BaseChatModel | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> ModelRegistry:
        """Build the clients for what is configured (no network call happens here)."""

        def breaker() -> CircuitBreaker:
            return CircuitBreaker(
                failure_threshold=config.breaker_failures, open_seconds=config.breaker_open_s, clock=clock
            )

        models: list[RegisteredModel] = []
        if config.local_llm_base_url and config.local_llm_model:
            models.append(RegisteredModel(f"local:{config.local_llm_model}", "local", _local(config), breaker()))
        if config.openai_api_key:
            models.append(RegisteredModel(f"openai:{config.openai_model}", "cloud", _openai(config), breaker()))
        if config.anthropic_api_key:
            name = f"anthropic:{config.anthropic_model}"
            models.append(RegisteredModel(name, "cloud", _anthropic(config), breaker()))
        if offline_model is not None:
            models.append(RegisteredModel(OFFLINE, "offline", offline_model, breaker()))
        return cls(models)


def _local(config: RouterConfig) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=config.local_llm_model or "",
        base_url=config.local_llm_base_url,
        api_key=config.local_llm_api_key or "not-needed",  # type: ignore[arg-type]
        timeout=config.timeout_s,
        max_retries=config.max_retries,
    )


def _openai(config: RouterConfig) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=config.openai_model,
        base_url=config.openai_base_url,
        api_key=config.openai_api_key,  # type: ignore[arg-type]
        timeout=config.timeout_s,
        max_retries=config.max_retries,
    )


def _anthropic(config: RouterConfig) -> BaseChatModel:
    from langchain_anthropic import ChatAnthropic

    kwargs: dict[str, Any] = {}
    if config.anthropic_base_url:
        kwargs["base_url"] = config.anthropic_base_url
    return ChatAnthropic(  # type: ignore[call-arg]
        model=config.anthropic_model,
        api_key=config.anthropic_api_key,  # type: ignore[arg-type]
        timeout=config.timeout_s,
        max_retries=config.max_retries,
        **kwargs,
    )
