"""Inventory tools: stock per warehouse, low stock, the movement ledger, transfers (confirmed)."""

from __future__ import annotations

from collections import Counter as Tally

from commerce.fulfillment import commands as fc
from commerce.fulfillment import previews as fpreviews
from commerce.fulfillment import views as fviews
from commerce.marketplace import previews as mpreviews
from tools.base import Runtime, agent_tool, canonical_code, in_last
from tools.confirmation import PendingWrite
from tools.results import ToolResult, ok, when

MAX_MOVEMENTS_SHOWN = 50
KIND_ES = {"receipt": "recepciones", "sale": "ventas", "transfer": "traslados", "adjustment": "ajustes",
           "return": "devoluciones", "reservation": "reservas", "release": "liberaciones"}


@agent_tool
def get_stock(sku: str, warehouse: str | None = None, *, runtime: Runtime) -> ToolResult:
    """Units of a product in each warehouse: on hand, reserved and available to sell.

    Use for "¿cuánto café especial hay?", "stock de CAF-001 en Medellín".

    Args:
        sku: Product SKU, e.g. "CAF-001".
        warehouse: Optional warehouse code "BOG" (Bogotá), "MED" (Medellín), "BAQ" (Barranquilla); all if omitted.
    """
    ctx = runtime.context
    sku, warehouse = canonical_code(sku) or "", canonical_code(warehouse)
    with ctx.bus.read() as uow:
        stock = fviews.get_stock(uow=uow, principal=ctx.principal, sku=sku, warehouse=warehouse)
        place = fpreviews.get_warehouse(uow=uow, code=warehouse) if warehouse else None
        product = mpreviews.get_product(uow=uow, principal=ctx.principal, sku=stock.sku)
    where = f" en {place.city} ({place.code})" if place else ""
    if not stock.warehouses:
        return ok(f"{product.name} ({stock.sku}) no tiene inventario{where}.", stock)
    parts = [("" if place else f"{w.warehouse}: ")
             + f"{w.available} disponibles ({w.on_hand} en bodega, {w.reserved} reservadas)"
             for w in stock.warehouses]
    total = sum(w.available for w in stock.warehouses)
    summary = f" Total disponible: {total}." if len(parts) > 1 else ""
    return ok(f"{product.name} ({stock.sku}){where}: " + "; ".join(parts) + "." + summary,
              {"sku": stock.sku, "name": product.name, "warehouses": stock.warehouses, "total_available": total})


@agent_tool
def list_low_stock(warehouse: str | None = None, *, runtime: Runtime) -> ToolResult:
    """Products whose available units are at or below their reorder point (candidates to restock).

    Args:
        warehouse: Optional warehouse code "BOG", "MED" or "BAQ"; all warehouses if omitted.
    """
    ctx = runtime.context
    warehouse = canonical_code(warehouse)
    with ctx.bus.read() as uow:
        if warehouse:
            fpreviews.get_warehouse(uow=uow, code=warehouse)
        rows = fviews.list_low_stock(uow=uow, principal=ctx.principal, warehouse=warehouse)
    where = f" en {warehouse}" if warehouse else ""
    if not rows:
        return ok(f"No hay productos con stock bajo{where}.", [])
    listed = "; ".join(f"{r.sku} en {r.warehouse}: {r.available} disponibles (punto de reorden {r.reorder_point})"
                       for r in rows)
    return ok(f"{len(rows)} producto(s) con stock bajo{where}: {listed}.", rows)


@agent_tool
def get_stock_movements(sku: str, days: int = 30, *, runtime: Runtime) -> ToolResult:
    """The stock ledger of a product over the last days: receipts, sales, transfers, adjustments, reservations.

    Args:
        sku: Product SKU, e.g. "CAF-001".
        days: How many days back to look (1 to 366), default 30.
    """
    ctx = runtime.context
    sku = canonical_code(sku) or ""
    with ctx.bus.read() as uow:
        rows = fviews.get_movements(uow=uow, principal=ctx.principal, sku=sku, days=days)
    units = Tally[str]()
    for row in rows:
        units[row.kind] += abs(row.on_hand_delta or row.reserved_delta)
    if not rows:
        return ok(f"{sku} no tuvo movimientos {in_last(days)}.", {"sku": sku, "days": days, "movements": []})
    totals = ", ".join(f"{KIND_ES.get(kind, kind)}: {n} u" for kind, n in sorted(units.items()))
    latest = rows[0]
    last_kind = KIND_ES.get(latest.kind, latest.kind)
    message = (f"{sku} tuvo {len(rows)} movimientos {in_last(days)} ({totals}). "
               f"El último: {last_kind} en {latest.warehouse} el {when(latest.occurred_at)}.")
    return ok(message, {"sku": sku, "days": days, "units_by_kind": dict(units), "count": len(rows),
                        "movements": rows[:MAX_MOVEMENTS_SHOWN]})


@agent_tool
def transfer_stock(sku: str, from_warehouse: str, to_warehouse: str, quantity: int, *, runtime: Runtime) -> ToolResult:
    """Move available units of a product from one warehouse to another. Asks the user to confirm first.

    Args:
        sku: Product SKU, e.g. "CAF-001".
        from_warehouse: Source warehouse code "BOG", "MED" or "BAQ".
        to_warehouse: Destination warehouse code "BOG", "MED" or "BAQ".
        quantity: Units to move, a positive integer.
    """
    ctx = runtime.context
    cmd = fc.TransferStock(sku=canonical_code(sku) or "", from_warehouse=canonical_code(from_warehouse) or "",
                           to_warehouse=canonical_code(to_warehouse) or "", quantity=quantity, actor=ctx.principal)
    args = {"sku": cmd.sku, "from_warehouse": cmd.from_warehouse, "to_warehouse": cmd.to_warehouse,
            "quantity": cmd.quantity}
    write = PendingWrite(runtime, "transfer_stock", args)
    if (done := write.stored()) is not None:
        return done
    with ctx.bus.read() as uow:
        plan = fpreviews.preview_transfer(uow=uow, cmd=cmd)
        product = mpreviews.get_product(uow=uow, principal=ctx.principal, sku=cmd.sku)
    question = (f"Voy a trasladar {plan.quantity} unidades de {plan.sku} ({product.name}) de {plan.source.name} "
                f"({plan.source.code}) a {plan.destination.name} ({plan.destination.code}). ¿Confirmas? (sí/no)")

    def execute() -> ToolResult:
        ctx.bus.handle(cmd)
        with ctx.bus.read() as uow:
            after = fviews.get_stock(uow=uow, principal=ctx.principal, sku=cmd.sku)
        levels = {w.warehouse: w.available for w in after.warehouses}
        return ok(f"Listo: trasladé {cmd.quantity} unidades de {cmd.sku} de {cmd.from_warehouse} a {cmd.to_warehouse}. "
                  f"Disponibles ahora: {cmd.from_warehouse} {levels.get(cmd.from_warehouse, 0)}, "
                  f"{cmd.to_warehouse} {levels.get(cmd.to_warehouse, 0)}.", {**args, "stock": after})

    return write.confirm_and_run(question, execute, f"Listo, no trasladé nada: el inventario de {cmd.sku} sigue igual.")
