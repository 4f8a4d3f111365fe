"""The contract between `search_knowledge` and a knowledge base, without tools importing one.

The composition root builds the retriever (`infra.bootstrap.knowledge_retriever`, over
`KnowledgeBase.retriever()`) and the chat service hands it to every turn in `AgentContext.knowledge`:
no module-global registry, so two chat services (platforms, tests) never share one by accident.
`retriever(query)` returns passages, best first, as mappings with `text` and, for citations, `title`,
`heading_path`, `source` (file name), `chunk_id` and `score`. An empty list means nothing in the corpus
answers the question (the knowledge base's relevance gate said so, or the index is empty).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

Retriever = Callable[[str], Sequence[Mapping[str, Any]]]

PASSAGE_FIELDS = ("text", "title", "heading_path", "source", "chunk_id", "score")
