"""`mestocker keys status` and `mestocker keys rotate`: the data-encryption keys (docs/data-protection.md)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

STORE_ES = {"database": "base de datos", "checkpoints": "conversaciones (checkpoints)"}


def add_keys_parser(subparsers: Any) -> None:
    """Register `keys status|rotate` on the main parser's subcommands."""
    keys = subparsers.add_parser("keys", help="data-encryption keys: status, rotation with re-encryption")
    actions = keys.add_subparsers(dest="keys_command", required=True)
    status = actions.add_parser("status", help="active key, its age, values not yet on it")
    status.set_defaults(func=cmd_keys_status)
    rotate = actions.add_parser("rotate", help="add a new active key and re-encrypt every value in batches")
    rotate.add_argument("--batch", type=int, default=200, help="values per transaction (default 200)")
    rotate.add_argument("--pause", type=float, default=0.0, help="seconds between batches (lighter on a busy server)")
    rotate.add_argument("--reencrypt-only", action="store_true",
                        help="no new key: move every value onto the active one (keys given by environment)")
    rotate.set_defaults(func=cmd_keys_rotate)


def cmd_keys_status(args: argparse.Namespace) -> int:
    from api.cli import _settings
    from infra.bootstrap import bootstrap
    from infra.key_rotation import left_by_store

    platform = bootstrap(_settings())
    try:
        ring = platform.key_ring
        assert ring is not None
        left = left_by_store(platform.engine, ring, platform.settings)
        total = sum(n for counts in left.values() for n in counts.values())
        print(f"clave activa: {ring.active_key_id} ({int(ring.key_age_days())} días); claves: {len(ring.key_ids)}; "
              f"valores fuera de la clave activa: {total}")
        for store, counts in left.items():
            pending = ", ".join(f"{name}: {n}" for name, n in counts.items() if n)
            print(f"  {STORE_ES[store]}: {sum(counts.values())}" + (f" ({pending})" if pending else ""))
        for warning in platform.key_warnings():
            print(f"aviso: {warning}", file=sys.stderr)
    finally:
        platform.close()
    return 0


def cmd_keys_rotate(args: argparse.Namespace) -> int:
    from api.cli import _settings
    from infra.bootstrap import bootstrap
    from infra.key_rotation import rotate

    platform = bootstrap(_settings())
    try:
        assert platform.key_ring is not None
        report = rotate(platform.settings, platform.engine, platform.key_ring, batch=max(1, args.batch),
                        new_key=not args.reencrypt_only, pause_s=args.pause)
    except ValueError as exc:
        print(f"mestocker keys rotate: {exc}", file=sys.stderr)
        return 1
    finally:
        platform.close()
    total = sum(report.reencrypted.values())
    print(f"clave activa: {report.new_key}; {total} valores recifrados; "
          f"quedan en claves antiguas: {report.left_on_old_keys}")
    for store, counts in report.left_by_store.items():
        print(f"  {STORE_ES[store]}: quedan {sum(counts.values())}")
    return 0 if report.left_on_old_keys == 0 else 2
