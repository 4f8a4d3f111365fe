"""Import ragas (0.4.3) next to langchain-community 0.4, which removed a module ragas still imports.

ragas 0.4.3 imports `langchain_community.chat_models.vertexai.ChatVertexAI` at import time, and
langchain-community 0.4 no longer ships that module, so `import ragas` fails with
`No module named 'langchain_community.chat_models.vertexai'`
(https://github.com/explodinggradients/ragas/issues/2745 and
https://github.com/explodinggradients/ragas/issues/2995). We never use Vertex AI: a stand-in class
is registered in `sys.modules` before ragas is imported, and only when the real module is missing.
Remove this module once ragas drops the import.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import types
import warnings
from functools import cache
from typing import Any

VERTEXAI_MODULE = "langchain_community.chat_models.vertexai"
# Where `make eval` / `make test` install ragas with --no-deps (evals/overlay-requirements.txt).
# Appended, not prepended: the main environment's packages (openai, rich, numpy…) keep winning and
# the overlay only supplies what the environment lacks.
EVALS_SITE_ENV = "MESTOCKER_EVALS_SITE"


def _add_overlay_site() -> None:
    site = os.environ.get(EVALS_SITE_ENV)
    if site and os.path.isdir(site) and site not in sys.path:
        sys.path.append(site)


_add_overlay_site()
# ragas' legacy metrics report usage events to its analytics endpoint unless told not to; an eval run
# (offline, in CI) must not send anything anywhere. Set before ragas is imported (ragas caches it).
os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")


class ChatVertexAI:  # pragma: no cover - never instantiated; only `isinstance` checks in ragas see it
    """Stand-in for the removed LangChain Vertex AI chat model (ragas only type-checks against it)."""


def _register_vertexai_stub() -> None:
    if VERTEXAI_MODULE in sys.modules:
        return
    try:
        if importlib.util.find_spec(VERTEXAI_MODULE) is not None:
            return
    except ModuleNotFoundError:
        pass
    stub = types.ModuleType(VERTEXAI_MODULE)
    stub.ChatVertexAI = ChatVertexAI  # type: ignore[attr-defined]
    sys.modules[VERTEXAI_MODULE] = stub


def ragas_available() -> bool:
    """True when ragas is installed (the optional `evals` extra)."""
    return importlib.util.find_spec("ragas") is not None


CONTEXT_METRICS_NOT_RUN = "not run (ragas' non-LLM context metrics are not importable)"


@cache
def context_metrics() -> types.SimpleNamespace | None:
    """ragas' non-LLM context precision/recall, or None when they cannot be imported (reported "not run").

    In ragas 0.4.3 they live only in the older `ragas.metrics` module (not in `ragas.metrics.collections`)
    and score a `SingleTurnSample(retrieved_contexts=, reference_contexts=)` with `single_turn_ascore`;
    both compare strings with `NonLLMStringSimilarity` (rapidfuzz Levenshtein, a context counts when its
    best similarity to the other side reaches 0.5)."""
    if not ragas_available():
        return None
    _register_vertexai_stub()
    try:
        schema: Any = importlib.import_module("ragas.dataset_schema")
        legacy: Any = importlib.import_module("ragas.metrics")
        with warnings.catch_warnings():
            # 0.4.3 says to import them from ragas.metrics.collections, which does not have them (yet).
            warnings.simplefilter("ignore", DeprecationWarning)
            return types.SimpleNamespace(SingleTurnSample=schema.SingleTurnSample,
                                         ContextPrecision=legacy.NonLLMContextPrecisionWithReference,
                                         ContextRecall=legacy.NonLLMContextRecall)
    except (ImportError, AttributeError):
        return None


@cache
def ragas() -> types.SimpleNamespace:
    """The ragas pieces the evals use, imported once: schema, messages and the offline metrics."""
    _register_vertexai_stub()
    version: str = importlib.import_module("ragas").__version__
    schema: Any = importlib.import_module("ragas.dataset_schema")
    messages: Any = importlib.import_module("ragas.messages")
    metrics: Any = importlib.import_module("ragas.metrics.collections")
    return types.SimpleNamespace(
        version=version, MultiTurnSample=schema.MultiTurnSample,
        HumanMessage=messages.HumanMessage, AIMessage=messages.AIMessage, ToolMessage=messages.ToolMessage,
        ToolCall=messages.ToolCall, ToolCallAccuracy=metrics.ToolCallAccuracy, ToolCallF1=metrics.ToolCallF1,
        StringPresence=metrics.StringPresence,
    )
