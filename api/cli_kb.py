"""`mestocker kb index [--rebuild | --if-missing]` and `mestocker kb search "…"`: the knowledge base from a terminal."""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Callable
from typing import Any

from api.cli_support import Command, SettingsFactory, guarded
from api.cli_support import say as _say
from infra.settings import Settings


class _Bar:
    """A tqdm bar on stderr, opened at the first write (before it, the number to write is unknown)."""

    def __init__(self) -> None:
        self._bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        from tqdm import tqdm

        if self._bar is None:
            self._bar = tqdm(total=total, desc="Indexando fragmentos", unit="fragmento", file=sys.stderr)
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from infra.knowledge import build_knowledge

    kb = build_knowledge(settings)
    if args.if_missing and not args.rebuild and kb.is_indexed():
        _say("La base de conocimiento ya está indexada (usa `mestocker kb index` para actualizarla).")
        return 0
    bar = _Bar()
    try:
        report = kb.index(rebuild=args.rebuild, progress=bar)
    finally:
        bar.close()
    _say(f"Base de conocimiento al día: {len(report.written)} fragmento(s) escritos, {len(report.deleted)} "
         f"borrados, {report.unchanged} sin cambios.")
    return 0


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from infra.knowledge import build_knowledge
    from knowledge import RetrievalMode

    kb = build_knowledge(settings)
    if not kb.is_indexed():
        _say("La base de conocimiento está vacía: ejecuta `mestocker kb index` primero.")
        return 1
    query = " ".join(args.query)
    passages = kb.search(query, k=args.k, mode=RetrievalMode(args.mode))
    if not passages:
        print("No hay información sobre eso en la base de conocimiento.")
        return 0
    for n, p in enumerate(passages, start=1):
        print(f"{n}. [puntaje {p.score:.4f} · similitud {p.similarity:.3f}] {p.heading_path}")
        print(f"   Fuente: {p.title} ({p.source}, {p.chunk_id})")
        print(textwrap.indent(textwrap.fill(p.text, width=100), "   "))
    return 0


def _guarded(command: Command, settings: SettingsFactory) -> Callable[[argparse.Namespace], int]:
    """An unreachable or unusable Chroma store becomes one Spanish line and exit code 1."""
    from knowledge import StoreError

    return guarded("kb", command, settings, (StoreError,))


def add_kb_parser(subparsers: Any, settings: SettingsFactory) -> None:
    """Register `kb index` and `kb search` on the `mestocker` parser; `settings` builds validated settings."""
    kb = subparsers.add_parser("kb", help="knowledge base: index the policy documents, search them")
    sub = kb.add_subparsers(dest="kb_command", required=True)
    index = sub.add_parser("index", help="embed and store the documents that changed (writes nothing if none)")
    mode = index.add_mutually_exclusive_group()
    mode.add_argument("--rebuild", action="store_true", help="drop the index and build it from scratch")
    mode.add_argument("--if-missing", action="store_true", help="do nothing when an index exists")
    index.set_defaults(func=_guarded(cmd_index, settings))
    search = sub.add_parser("search", help="print the passages that answer a question, with scores and sources")
    search.add_argument("query", nargs="+", help="the question, in Spanish")
    search.add_argument("-k", type=int, default=4, help="how many passages (default 4)")
    # The values of knowledge.RetrievalMode, spelled out: importing knowledge here would load chromadb
    # for every `mestocker` command; RetrievalMode(args.mode) still validates them at run time.
    search.add_argument("--mode", choices=["fusion", "dense", "bm25"], default="fusion",
                        help="ranking: fusion (default, best measured), dense or bm25")
    search.set_defaults(func=_guarded(cmd_search, settings))
