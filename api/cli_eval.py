"""`mestocker eval [--suite …] [--split …] [--repeat k] [--out DIR]`: the eval suite from the console script."""

from __future__ import annotations

import argparse
import logging
from typing import Any


def cmd_eval(args: argparse.Namespace) -> int:
    from evals.cli import run

    # Every task runs whole chat turns; per-turn INFO lines (router, Presidio) would drown the summary.
    logging.getLogger().setLevel(logging.WARNING)
    return run(args)


def add_eval_parser(subparsers: Any) -> None:
    """Register `eval` on the `mestocker` parser."""
    from evals.cli import add_arguments

    parser = subparsers.add_parser("eval", help="run the eval suite (report.json + report.html, gate)")
    add_arguments(parser)
    parser.set_defaults(func=cmd_eval)
