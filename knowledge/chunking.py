"""Split documents into chunks that keep their heading path, with ids that hash their content.

A chunk id is a hash of everything stored with the chunk, so an unchanged chunk keeps its id
across runs and re-indexing can skip it; an edited chunk gets a new id (old one deleted).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

from knowledge.documents import Document

HEADERS = [("#", "h1"), ("##", "h2"), ("###", "h3")]
# e5-small reads at most 512 tokens; ~900 characters of Spanish stay well below that and keep a
# chunk about one answer long.
CHUNK_SIZE = 900
CHUNK_OVERLAP = 120
PATH_SEPARATOR = " > "


@dataclass(frozen=True)
class Chunk:
    """A piece of a document with its place in the document."""

    chunk_id: str
    source: str
    title: str
    version: str
    updated: str
    headings: tuple[str, ...]
    text: str
    position: int

    @property
    def heading_path(self) -> str:
        return PATH_SEPARATOR.join(self.headings)

    @property
    def document(self) -> str:
        """What gets embedded and keyword-indexed: the heading path gives a short body its topic."""
        return f"{self.heading_path}\n\n{self.text}"

    @property
    def metadata(self) -> dict[str, str | int]:
        return {"source": self.source, "title": self.title, "version": self.version, "updated": self.updated,
                "heading_path": self.heading_path, "position": self.position}


def _chunk_id(document: Document, headings: tuple[str, ...], text: str, seen: set[str]) -> str:
    payload = "\x1f".join([document.source, document.title, document.version, document.updated.isoformat(),
                           *headings, text])
    digest = hashlib.sha256(payload.encode()).hexdigest()[:16]
    stem = document.source.removesuffix(".md")
    chunk_id, n = f"{stem}-{digest}", 1
    while chunk_id in seen:  # the same text twice under the same heading: keep both, distinctly
        n += 1
        chunk_id = f"{stem}-{digest}-{n}"
    seen.add(chunk_id)
    return chunk_id


def split_document(document: Document) -> list[Chunk]:
    """Chunks of one document, in reading order."""
    sections = MarkdownHeaderTextSplitter(HEADERS, strip_headers=True).split_text(document.body)
    sizer = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    chunks: list[Chunk] = []
    seen: set[str] = set()
    for section in sections:
        headings = tuple(section.metadata[key] for _, key in HEADERS if section.metadata.get(key))
        for piece in sizer.split_text(section.page_content):
            text = piece.strip()
            if not text:
                continue
            chunks.append(Chunk(chunk_id=_chunk_id(document, headings, text, seen), source=document.source,
                                title=document.title, version=document.version,
                                updated=document.updated.isoformat(), headings=headings, text=text,
                                position=len(chunks)))
    return chunks


def split_corpus(documents: list[Document]) -> list[Chunk]:
    """Chunks of every document."""
    return [chunk for document in documents for chunk in split_document(document)]
