"""Named sections of docs/benchmarks.md that other benchmarks own.

`python -m bench.run` rewrites the document; the blocks between `<!-- section:NAME -->` and
`<!-- /section:NAME -->` (chat, router, …) are carried over so one run never erases another's."""

from __future__ import annotations

import re
from pathlib import Path

_BLOCK = re.compile(r"<!-- section:(?P<name>[\w-]+) -->.*?<!-- /section:(?P=name) -->", re.S)


def sections(text: str) -> dict[str, str]:
    """The named blocks of `text`, markers included."""
    return {m.group("name"): m.group(0) for m in _BLOCK.finditer(text)}


def with_sections(document: str, previous: str) -> str:
    """`document` followed by the blocks of `previous` that `document` lacks."""
    kept = [block for name, block in sections(previous).items() if name not in sections(document)]
    return document.rstrip("\n") + ("\n\n" + "\n\n".join(kept) + "\n" if kept else "\n")


def write_section(path: Path, name: str, markdown: str) -> None:
    """Replace (or append) section `name` of the document at `path`."""
    block = f"<!-- section:{name} -->\n{markdown.strip()}\n<!-- /section:{name} -->"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if name in sections(text):
        text = _BLOCK.sub(lambda m: block if m.group("name") == name else m.group(0), text)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")
