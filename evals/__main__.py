"""`python -m evals run [--suite …] [--split dev|heldout|all] [--repeat k] [--out DIR]`."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from evals.cli import add_arguments, run


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals", description="MeStocker's eval suite.")
    sub = parser.add_subparsers(dest="command", required=True)
    add_arguments(sub.add_parser("run", help="run the suite and write report.json / report.html"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
