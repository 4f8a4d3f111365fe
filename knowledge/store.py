"""ChromaDB: the embedded client (a directory) or a server (a URL), and syncing records into a collection.

Syncing compares fingerprints already stored with the ones wanted and writes only the difference,
so a second run over an unchanged corpus writes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings

from knowledge.embeddings import MODEL_NAME, E5EmbeddingFunction

# Off before chromadb reads its settings anywhere (its own env fallback), not only in our Settings.
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

KNOWLEDGE_COLLECTION = "mestocker-knowledge"
PRODUCTS_COLLECTION = "mestocker-products"
FINGERPRINT = "fingerprint"
WRITE_BATCH = 16

Progress = Callable[[int, int], None]  # (records written so far, records to write in this sync)


class StoreError(RuntimeError):
    """The vector store cannot be reached or opened."""


def _chroma_settings() -> ChromaSettings:
    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def open_client(*, path: Path | None = None, url: str | None = None) -> ClientAPI:
    """A Chroma client: a server at `url` (production), else an embedded store under `path`."""
    if url:
        parts = urlsplit(url if "://" in url else f"http://{url}")
        if not parts.hostname:
            raise StoreError(f"URL de ChromaDB inválida: {url!r}")
        ssl = parts.scheme == "https"
        try:
            return chromadb.HttpClient(host=parts.hostname, port=parts.port or (443 if ssl else 8000), ssl=ssl,
                                       settings=_chroma_settings())
        except Exception as exc:  # chromadb raises plain ValueError/ConnectionError on a dead server
            raise StoreError(f"no se pudo conectar a ChromaDB en {url}: {exc}") from exc
    if path is None:
        raise StoreError("ChromaDB necesita una carpeta (embebido) o una URL (servidor)")
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=_chroma_settings())


def open_collection(client: ClientAPI, name: str, *, rebuild: bool = False) -> Collection:
    """The collection `name` with our embedding function; recreated when `rebuild` or the model changed."""
    existing = {c.name for c in client.list_collections()}
    if name in existing:
        current = client.get_collection(name, embedding_function=E5EmbeddingFunction())  # type: ignore[arg-type]
        if rebuild or (current.metadata or {}).get("embedding_model") != MODEL_NAME:
            client.delete_collection(name)
    return client.get_or_create_collection(name, embedding_function=E5EmbeddingFunction(),  # type: ignore[arg-type]
                                           metadata={"embedding_model": MODEL_NAME})


def collection_exists(client: ClientAPI, name: str) -> bool:
    """True when the collection exists and holds at least one record."""
    if name not in {c.name for c in client.list_collections()}:
        return False
    return client.get_collection(name).count() > 0


@dataclass(frozen=True)
class Record:
    """What a collection stores for one item: its id, the text to embed, metadata and a change fingerprint."""

    id: str
    document: str
    metadata: dict[str, str | int | float | bool]
    fingerprint: str


@dataclass
class SyncReport:
    """What one sync wrote: ids added or changed, ids deleted, and how many were already current."""

    written: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.written or self.deleted)


def stored_fingerprints(collection: Collection) -> dict[str, str]:
    """id → fingerprint of every record in the collection."""
    got = collection.get(include=["metadatas"])  # type: ignore[list-item]
    metadatas = got.get("metadatas") or [{} for _ in got["ids"]]
    return {id_: str((meta or {}).get(FINGERPRINT, "")) for id_, meta in zip(got["ids"], metadatas, strict=True)}


def sync(collection: Collection, records: Sequence[Record], *, prune: bool = True,
         progress: Progress | None = None) -> SyncReport:
    """Write the records whose fingerprint is new or changed; with `prune`, delete ids no longer wanted."""
    current = stored_fingerprints(collection)
    wanted = {r.id: r for r in records}
    report = SyncReport()
    stale = [id_ for id_ in current if id_ not in wanted] if prune else []
    if stale:
        collection.delete(ids=stale)
        report.deleted = stale
    todo = [r for r in records if current.get(r.id) != r.fingerprint]
    report.unchanged = len(records) - len(todo)
    for start in range(0, len(todo), WRITE_BATCH):
        batch = todo[start:start + WRITE_BATCH]
        metadatas: list[Any] = [{**r.metadata, FINGERPRINT: r.fingerprint} for r in batch]
        collection.upsert(ids=[r.id for r in batch], documents=[r.document for r in batch], metadatas=metadatas)
        report.written.extend(r.id for r in batch)
        if progress is not None:
            progress(len(report.written), len(todo))
    return report
