"""`mestocker reorder run`: one reorder cycle now, per seller, with a progress bar and a summary table."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from commerce.fulfillment.reorder import CycleResult


def add_reorder_parser(subparsers: Any) -> None:
    """Register `reorder run` on the main parser's subcommands."""
    reorder = subparsers.add_parser("reorder", help="reorder agent: forecast demand and propose purchases/transfers")
    actions = reorder.add_subparsers(dest="reorder_command", required=True)
    run = actions.add_parser("run", help="run one reorder cycle now")
    run.add_argument("--seller", default=None, help="only this seller (e.g. SEL-CAFE); default: every seller")
    run.add_argument("--json", action="store_true", help="print each seller's cycle result as one JSON line")
    run.set_defaults(func=cmd_reorder_run)


def cmd_reorder_run(args: argparse.Namespace) -> int:
    """Dispatch one RunReorderCycle per seller and show what each proposed."""
    # Imported here so that `mestocker --help` and the other commands do not load numpy and rich.
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from api.cli import _settings
    from commerce.fulfillment.reorder import RunReorderCycle
    from commerce.fulfillment.reorder_proposals import sellers_with_stock
    from commerce.shared.errors import CommerceError
    from infra.bootstrap import bootstrap

    platform = bootstrap(_settings())
    console = Console(stderr=True)
    try:
        with platform.read_uow() as uow:
            sellers = [args.seller.strip().upper()] if args.seller else sellers_with_stock(uow=uow)
        results: list[CycleResult] = []
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      TimeElapsedColumn(), console=console, disable=args.json or not console.is_terminal) as bar:
            task = bar.add_task("Ciclo de reorden", total=len(sellers))
            for seller in sellers:
                bar.update(task, description=f"Ciclo de reorden · {seller}")
                results.append(platform.bus.handle(RunReorderCycle(seller_id=seller)))
                bar.advance(task)
    except CommerceError as exc:
        console.print(f"mestocker reorder: {exc.message}")
        return 1
    finally:
        platform.close()
    if args.json:
        for result in results:
            print(json.dumps(result.model_dump(mode="json"), ensure_ascii=False))
        return 0
    _print_summary(results)
    return 0


def _print_summary(results: list[CycleResult]) -> None:
    from rich.console import Console
    from rich.table import Table

    from commerce.shared.money import format_cop

    console = Console(width=None if sys.stdout.isatty() else 150)  # piped output keeps whole SKUs and amounts
    table = Table(title="Propuestas de reorden", show_lines=False)
    for column in ("Vendedor", "Tipo", "SKU", "Bodega", "Desde", "Cantidad", "Costo", "Se agota", "Orden"):
        table.add_column(column, justify="right" if column in ("Cantidad", "Costo") else "left")
    for result in results:
        for p in result.proposals:
            table.add_row(p.seller_id, "compra" if p.kind == "purchase" else "traslado", p.sku, p.warehouse,
                          p.from_warehouse or "", str(p.quantity), format_cop(p.cost_cop),
                          p.stockout_on.isoformat() if p.stockout_on else "", p.purchase_order_id or "")
    console.print(table)
    for result in results:
        state = "repetido (sin cambios)" if result.replayed else f"{len(result.proposals)} propuesta(s)"
        console.print(f"{result.cycle_id}: {result.evaluated} SKU×bodega revisados, {state}, "
                      f"órdenes {', '.join(result.purchase_orders) or '—'}"
                      + (f", aprobadas solas: {', '.join(result.auto_approved)}" if result.auto_approved else ""))
        for note in result.notes:
            console.print(f"  nota: {note.text}")
    if not any(r.proposals for r in results):
        console.print("Nada que proponer: todo está cubierto o por encima del punto de reorden.")
    sys.stdout.flush()
