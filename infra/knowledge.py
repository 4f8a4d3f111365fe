"""Builds the knowledge base from settings: embedded Chroma under the data dir, or the Chroma server.

Bootstrap wires it (and registers `kb.retriever()` with tools.knowledge_hook); the CLI's `kb`
commands use it directly. knowledge/ itself never reads settings.
"""

from __future__ import annotations

from infra.settings import ChromaMode, Settings
from knowledge import KnowledgeBase, open_client


def build_knowledge(settings: Settings) -> KnowledgeBase:
    """The knowledge base over the Chroma store that `settings` name (MESTOCKER_CHROMA_MODE / _URL / data dir)."""
    if settings.chroma_mode == ChromaMode.HTTP:
        return KnowledgeBase(open_client(url=settings.chroma_url))
    return KnowledgeBase(open_client(path=settings.chroma_path))
