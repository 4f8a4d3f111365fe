"""The corpus: Markdown files with front matter (title, version, updated), shipped as package data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

import yaml

FRONT_MATTER = "---"


class CorpusError(ValueError):
    """A corpus document is malformed (missing front matter or a required field)."""


@dataclass(frozen=True)
class Document:
    """One help or policy document."""

    source: str  # file name, e.g. "devoluciones.md": stable, shown as the citation's file
    title: str
    version: str
    updated: date
    body: str  # Markdown after the front matter


def parse_document(source: str, text: str) -> Document:
    """Split front matter from Markdown and check the fields every document must carry."""
    head, sep, body = text.removeprefix("\ufeff").partition(f"\n{FRONT_MATTER}\n")
    if not head.startswith(FRONT_MATTER) or not sep:
        raise CorpusError(f"{source}: falta el encabezado (front matter) entre líneas ---")
    meta = yaml.safe_load(head.removeprefix(FRONT_MATTER)) or {}
    missing = [key for key in ("title", "version", "updated") if not meta.get(key)]
    if missing:
        raise CorpusError(f"{source}: faltan los campos {', '.join(missing)} en el encabezado")
    updated = meta["updated"]
    if not isinstance(updated, date):
        updated = date.fromisoformat(str(updated))
    return Document(source=source, title=str(meta["title"]), version=str(meta["version"]), updated=updated,
                    body=body.strip() + "\n")


def corpus_dir() -> Path:
    """The corpus shipped inside the package (knowledge/corpus/*.md)."""
    return Path(str(resources.files("knowledge") / "corpus"))


def load_corpus(directory: Path | None = None) -> list[Document]:
    """Every `*.md` document of `directory` (default: the shipped corpus), sorted by file name."""
    folder = directory or corpus_dir()
    return [parse_document(path.name, path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.md"))]
