"""Builds the knowledge base from settings: embedded Chroma under the data dir, or the Chroma server.

Bootstrap hands `KnowledgeRetriever(settings)` to the chat service, which puts it in every turn's
AgentContext for `search_knowledge`; the CLI's `kb` commands use `build_knowledge` directly.
knowledge/ itself never reads settings.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from infra.settings import ChromaMode, Settings
from knowledge import KnowledgeBase, open_client


def build_knowledge(settings: Settings) -> KnowledgeBase:
    """The knowledge base over the Chroma store that `settings` name (MESTOCKER_CHROMA_MODE / _URL / data dir)."""
    if settings.chroma_mode == ChromaMode.HTTP:
        return KnowledgeBase(open_client(url=settings.chroma_url))
    return KnowledgeBase(open_client(path=settings.chroma_path))


class KnowledgeRetriever:
    """`search_knowledge`'s retriever (tools.knowledge_hook.Retriever) over the configured knowledge base.

    The store is opened at the first question, not when the chat is built, so processes and tests that
    never ask one pay nothing. While the index is empty (`make run` builds it; `mestocker kb index`) it
    returns no passages and the chat says it has no information; an index built later is used from then
    on, without a restart."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._kb: KnowledgeBase | None = None
        self._lock = threading.Lock()

    def base(self) -> KnowledgeBase:
        with self._lock:
            if self._kb is None:
                self._kb = build_knowledge(self._settings)
            return self._kb

    def __call__(self, query: str) -> Sequence[Mapping[str, Any]]:
        kb = self.base()
        if not kb.is_indexed():
            return []
        return [p.as_mapping() for p in kb.search(query)]
