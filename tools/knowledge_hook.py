"""Where the knowledge base plugs into `search_knowledge` without tools importing it.

The knowledge package (or bootstrap) calls `set_retriever(fn)` once at start-up; `fn(query)`
returns passages as mappings with at least `text`, and ideally `title` and `source` for citations.
Until a retriever is registered, `search_knowledge` answers that there is no information yet.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

Retriever = Callable[[str], Sequence[Mapping[str, Any]]]

_retriever: Retriever | None = None


def set_retriever(retriever: Retriever | None) -> None:
    """Register (or with None, remove) the retriever used by `search_knowledge`."""
    global _retriever
    _retriever = retriever


def get_retriever() -> Retriever | None:
    return _retriever
