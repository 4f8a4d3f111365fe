"""Where the knowledge base plugs into `search_knowledge` without tools importing it.

Bootstrap calls `set_retriever(fn)` once at start-up (`KnowledgeBase.retriever()`); `fn(query)` returns
passages, best first, as mappings with `text` and, for citations, `title`, `heading_path`, `source`
(file name), `chunk_id` and `score`. An empty list means nothing in the corpus answers the question.
Until a retriever is registered, `search_knowledge` answers that there is no information yet.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

Retriever = Callable[[str], Sequence[Mapping[str, Any]]]

PASSAGE_FIELDS = ("text", "title", "heading_path", "source", "chunk_id", "score")

_retriever: Retriever | None = None


def set_retriever(retriever: Retriever | None) -> None:
    """Register (or with None, remove) the retriever used by `search_knowledge`."""
    global _retriever
    _retriever = retriever


def get_retriever() -> Retriever | None:
    return _retriever
