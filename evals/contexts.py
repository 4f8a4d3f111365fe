"""Knowledge tasks' retrieval: what `search_knowledge` returned in a run, and the reference chunks it should return.

The turn result (agents.turns.TurnResult) carries tool calls without their results, so after a run the
runner reads the thread's checkpoint state through the chat service's graph (the messages the API's
GET thread reads) and keeps each `search_knowledge` call's query and passages. A task's
`reference_sources` (corpus file + section heading) are resolved to chunk texts against the shipped
corpus, as knowledge/evaluation.py resolves its gold answers: a reference that names no section is an
error, not a silently empty reference.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from typing import Any

from langchain_core.messages import AIMessage, AnyMessage, ToolMessage

from evals.tasks import KNOWLEDGE_TOOL, Task
from knowledge.chunking import Chunk, split_corpus
from knowledge.documents import load_corpus

PASSAGE_KEYS = ("chunk_id", "source", "heading_path", "text")


class UnresolvedReference(ValueError):
    """A task's reference source names a section the corpus does not have."""


def retrieved_searches(messages: Sequence[AnyMessage]) -> list[dict[str, Any]]:
    """Every `search_knowledge` call of a thread, in order: its query and the passages its result carried
    (chunk id, source, heading path, text). A call whose result is not JSON (a tool error) has no passages."""
    queries = {call["id"]: str(call["args"].get("query", "")) for msg in messages if isinstance(msg, AIMessage)
               for call in msg.tool_calls if call["name"] == KNOWLEDGE_TOOL}
    searches: list[dict[str, Any]] = []
    for msg in messages:
        if not isinstance(msg, ToolMessage) or msg.tool_call_id not in queries:
            continue
        try:
            data = json.loads(str(msg.content)).get("data") or []
        except (ValueError, AttributeError):
            data = []
        passages = [{k: str(p.get(k, "")) for k in PASSAGE_KEYS} for p in data if isinstance(p, dict)]
        searches.append({"query": queries[msg.tool_call_id], "passages": passages})
    return searches


def retrieved_contexts(searches: Sequence[dict[str, Any]]) -> list[str]:
    """The passages' texts over all searches of a run, in rank order, each chunk once (a second search
    that returns a chunk already retrieved adds nothing new to the context)."""
    seen: set[str] = set()
    texts: list[str] = []
    for search in searches:
        for passage in search["passages"]:
            key = passage["chunk_id"] or passage["text"]
            if key not in seen:
                seen.add(key)
                texts.append(passage["text"])
    return texts


@cache
def corpus_chunks() -> tuple[Chunk, ...]:
    """The shipped corpus as the knowledge base indexes it (knowledge/corpus, same splitter)."""
    return tuple(split_corpus(load_corpus()))


def reference_chunks(task: Task, chunks: Sequence[Chunk] | None = None) -> list[Chunk]:
    """The chunks of `task`'s reference sections: same file, the section's own (last) heading."""
    corpus = corpus_chunks() if chunks is None else chunks
    found: list[Chunk] = []
    for ref in task.reference_sources:
        section = [c for c in corpus if c.source == ref.source and c.headings[-1:] == (ref.heading,)]
        if not section:
            raise UnresolvedReference(f"{task.id}: no hay sección «{ref.heading}» en {ref.source}")
        found.extend(c for c in section if c not in found)
    return found


def reference_contexts(task: Task, chunks: Sequence[Chunk] | None = None) -> list[str]:
    """The reference chunk texts of a knowledge task (empty for any other task)."""
    return [c.text for c in reference_chunks(task, chunks)]
