"""`mestocker search reindex [--if-missing]`: rebuild the Elasticsearch product index from the database."""

from __future__ import annotations

import argparse
from typing import Any

from api.cli_support import SettingsFactory
from api.cli_support import say as _say
from infra.settings import Settings


def cmd_reindex(args: argparse.Namespace, settings: Settings) -> int:
    from infra.bootstrap import bootstrap
    from infra.search_index import active_documents

    platform = bootstrap(settings, run_migrations=False)
    index = platform.search_index
    try:
        if index is None:
            _say("mestocker search: la búsqueda usa la base de datos (MESTOCKER_SEARCH_BACKEND=database); "
                 "no hay índice que reconstruir.")
            return 0
        if args.if_missing and index.ping():
            _say(f"El índice {index.index} ya existe; nada que hacer.")
            return 0
        with platform.read_uow() as uow:
            documents = active_documents(uow.session)
        report = index.reindex(documents)
        _say(f"Índice {index.index}: {report.indexed} productos escritos, {report.deleted} retirados"
             f"{' (índice creado)' if report.created_index else ''}.")
        return 0
    except Exception as exc:  # an unreachable cluster or a refused mapping: one line, exit code 1
        _say(f"mestocker search: no se pudo reconstruir el índice: {exc}")
        return 1
    finally:
        if index is not None:
            index.close()
        platform.close()


def add_search_parser(subparsers: Any, settings: SettingsFactory) -> None:
    """Register `search reindex` on the `mestocker` parser."""
    search = subparsers.add_parser("search", help="product search index (Elasticsearch): rebuild it")
    sub = search.add_subparsers(dest="search_command", required=True)
    reindex = sub.add_parser("reindex", help="write every product for sale, delete the withdrawn ones")
    reindex.add_argument("--if-missing", action="store_true", help="do nothing when the index exists")
    reindex.set_defaults(func=lambda args: cmd_reindex(args, settings()))
