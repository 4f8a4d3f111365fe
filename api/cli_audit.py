"""`mestocker audit --since 7d`: the access audit trail (who read, exported or erased whose data, and why)."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_audit_parser(subparsers: Any) -> None:
    """Register `audit` on the main parser's subcommands."""
    from api.cli import _since

    audit = subparsers.add_parser("audit", help="access audit trail (reads, exports, erasures), newest first")
    audit.add_argument("--since", type=_since, default=None, help="ISO date-time or 30m / 12h / 7d")
    audit.add_argument("--limit", type=int, default=200)
    audit.add_argument("--json", action="store_true", help="one JSON object per line")
    audit.set_defaults(func=cmd_audit)


def cmd_audit(args: argparse.Namespace) -> int:
    """Print the entries as the superuser the CLI operator is (they hold the database already)."""
    from api.cli import _settings
    from commerce.identity.audit import list_audit
    from commerce.identity.principal import SYSTEM
    from commerce.shared.clock import BOGOTA
    from infra.bootstrap import bootstrap

    platform = bootstrap(_settings())
    try:
        with platform.read_uow() as uow:
            entries = list_audit(uow=uow, principal=SYSTEM, since=args.since, limit=args.limit)
    finally:
        platform.close()
    for entry in entries:
        if args.json:
            print(entry.model_dump_json())
        else:
            when = entry.at.astimezone(BOGOTA).strftime("%Y-%m-%d %H:%M:%S")
            print(f"{when} {entry.action:10} actor={entry.actor_user_id}({entry.actor_role}) "
                  f"titular={entry.subject_user_id if entry.subject_user_id is not None else '-'} "
                  f"{entry.resource:20} {entry.channel:8} {entry.reason}")
    if not entries and not args.json:
        print("No hay registros de auditoría en ese periodo.", file=sys.stderr)
    return 0
