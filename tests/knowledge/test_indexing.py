"""Re-indexing writes only what changed: counted at the Chroma client, where the writes happen."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from chromadb.api.models.Collection import Collection

from knowledge import KnowledgeBase, open_client
from knowledge.chunking import split_corpus
from knowledge.documents import load_corpus


class Writes:
    """Ids passed to Collection.add/upsert/update/delete during a test."""

    def __init__(self) -> None:
        self.written: list[str] = []
        self.deleted: list[str] = []

    def clear(self) -> None:
        self.written.clear()
        self.deleted.clear()


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> Writes:
    seen = Writes()
    for name in ("add", "upsert", "update"):
        original = getattr(Collection, name)

        def spy(self: Collection, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            seen.written.extend(kwargs.get("ids") or args[0])
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(Collection, name, spy)
    original_delete = Collection.delete

    def spy_delete(self: Collection, *args: Any, **kwargs: Any) -> Any:
        seen.deleted.extend(kwargs.get("ids") or args[0])
        return original_delete(self, *args, **kwargs)

    monkeypatch.setattr(Collection, "delete", spy_delete)
    return seen


def ids_of(corpus: Path, source: str | None = None) -> set[str]:
    return {c.chunk_id for c in split_corpus(load_corpus(corpus)) if source in (None, c.source)}


def test_reindex_writes_only_what_changed(small_corpus: Callable[..., Path], tmp_path: Path, writes: Writes) -> None:
    corpus = small_corpus("medios-de-pago.md", "garantia.md")
    kb = KnowledgeBase(open_client(path=tmp_path / "chroma"), corpus_dir=corpus)
    first = kb.index()
    assert set(writes.written) == ids_of(corpus) == set(first.written) and not writes.deleted

    writes.clear()
    again = kb.index()
    assert writes.written == [] and writes.deleted == [] and not again.changed
    assert again.unchanged == len(ids_of(corpus))

    before_pay, before_warranty = ids_of(corpus, "medios-de-pago.md"), ids_of(corpus, "garantia.md")
    path = corpus / "medios-de-pago.md"
    path.write_text(path.read_text().replace("en 24 horas", "en 48 horas"), encoding="utf-8")
    after_pay = ids_of(corpus, "medios-de-pago.md")
    writes.clear()
    report = kb.index()
    assert set(writes.written) == after_pay - before_pay and len(writes.written) == 1
    assert set(writes.deleted) == before_pay - after_pay and len(writes.deleted) == 1
    assert not (set(writes.written) | set(writes.deleted)) & before_warranty
    assert report.unchanged == len(ids_of(corpus)) - 1
    assert "48 horas" in kb.search("cuanto tiempo tengo para pagar mi pedido")[0].text

    (corpus / "garantia.md").unlink()
    writes.clear()
    kb.index()
    assert set(writes.deleted) == before_warranty and writes.written == []
    assert kb.client.get_collection("mestocker-knowledge").count() == len(after_pay)


def test_rebuild_and_reopen(small_corpus: Callable[..., Path], tmp_path: Path, writes: Writes) -> None:
    corpus = small_corpus("medios-de-pago.md")
    kb = KnowledgeBase(open_client(path=tmp_path / "chroma"), corpus_dir=corpus)
    assert not kb.is_indexed()
    kb.index()
    # A new process (a new client on the same directory) sees the index and writes nothing.
    reopened = KnowledgeBase(open_client(path=tmp_path / "chroma"), corpus_dir=corpus)
    writes.clear()
    assert reopened.is_indexed() and not reopened.index().changed and writes.written == []
    rebuilt = reopened.index(rebuild=True)
    assert set(rebuilt.written) == set(writes.written) == ids_of(corpus)
