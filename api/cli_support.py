"""What every `mestocker` sub-command module shares: the settings factory type, the stderr line, and the
wrapper that turns an expected refusal into one Spanish line and exit code 1 instead of a traceback."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from infra.settings import Settings

SettingsFactory = Callable[[], Settings]
Command = Callable[[argparse.Namespace, Settings], int]


def say(message: str) -> None:
    """A progress or error line for the operator (stderr: stdout stays the command's output)."""
    print(message, file=sys.stderr, flush=True)


def describe(exc: BaseException) -> str:
    """The Spanish line for a refusal: a domain error's own message, a validation error's first problem."""
    from pydantic import ValidationError

    from commerce.shared.errors import CommerceError

    if isinstance(exc, CommerceError):
        return exc.message
    if isinstance(exc, ValidationError):
        return f"datos inválidos — {exc.errors()[0]['msg']}"
    return str(exc)


def guarded(name: str, command: Command, settings: SettingsFactory,
            refusals: tuple[type[BaseException], ...]) -> Callable[[argparse.Namespace], int]:
    """Run `command` with freshly validated settings; any of `refusals` becomes `mestocker <name>: …` and exit 1."""

    def run(args: argparse.Namespace) -> int:
        try:
            return command(args, settings())
        except refusals as exc:
            say(f"mestocker {name}: {describe(exc)}")
            return 1

    return run
