"""The Spanish explanation a seller reads next to each reorder proposal: every number and where it came from."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from commerce.fulfillment.forecast import METHOD_LABELS, Forecast, Method
from commerce.fulfillment.reorder_policy import SupplyPlan
from commerce.shared.money import format_cop

MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
          "noviembre", "diciembre")


def decimal(value: float, digits: int = 1) -> str:
    """8.75 → '8,8' (es-CO writes a decimal comma)."""
    return f"{value:.{digits}f}".replace(".", ",")


def day_text(day: date) -> str:
    """2026-12-03 → '3 de diciembre'."""
    return f"{day.day} de {MONTHS[day.month - 1]}"


@dataclass(frozen=True)
class Numbers:
    """What the policy computed for one SKU in one warehouse."""

    sku: str
    warehouse: str
    available: int
    forecast: Forecast
    lead_time_days: int
    review_days: int
    service_level: float
    z: float
    safety: float
    rop: float
    up_to: float
    moq: int
    unit_cost_cop: int
    supplier_name: str
    stockout_on: date | None


@dataclass(frozen=True)
class DonorView:
    """Another warehouse's position, to say why it can or cannot give units."""

    warehouse: str
    available: int
    rop: float
    safety: float
    up_to: float
    excess: int
    overstock: int
    lead_time_days: int


def _demand(n: Numbers) -> str:
    f = n.forecast
    share = f"vende {decimal(100 / f.adi, 0)} % de los días" if math.isfinite(f.adi) else "sin ventas"
    pattern = f"{'intermitente' if f.intermittent else 'estable'}: {share}"
    text = f"Demanda estimada: {decimal(f.daily, 2)} unidades/día ({pattern}) con {METHOD_LABELS[f.method]}"
    if f.method is Method.SES and f.alpha is not None:
        text += f" (α = {decimal(f.alpha, 2)})"
    if f.backtest_rmse:
        errors = ", ".join(f"{METHOD_LABELS[m]} {decimal(e, 2)}" for m, e in f.backtest_rmse.items())
        text += f"; elegida por backtest de 28 días (error RMSE por día: {errors})"
    return text + "."


def _risk(n: Numbers) -> str:
    sigma_l = n.forecast.sigma * math.sqrt(n.lead_time_days)
    if n.available <= 0:
        stockout = "ya está agotado"
    elif n.stockout_on is not None:
        stockout = f"al ritmo previsto se agota el {day_text(n.stockout_on)}"
    else:
        stockout = "no se proyecta agotamiento"
    return (f"El proveedor {n.supplier_name} tarda {n.lead_time_days} días. Stock de seguridad: "
            f"{math.ceil(n.safety)} unidades (nivel de servicio {decimal(n.service_level * 100, 0)} %, z = "
            f"{decimal(n.z, 2)}, σ de la demanda en el plazo {decimal(sigma_l)}). Punto de reorden: "
            f"{math.ceil(n.rop)} unidades; hay {n.available} disponibles en {n.warehouse}: {stockout}.")


def _quantity(n: Numbers, need: float, bought: int) -> str:
    target = (f"Para cubrir el plazo más la revisión ({n.lead_time_days} + {n.review_days} días) se necesitan "
              f"{math.ceil(n.up_to)} unidades: faltan {math.ceil(need)}.")
    if bought == 0:
        return target
    lots = bought // max(n.moq, 1)
    rounding = (f" El mínimo de compra es {n.moq}: redondeo a {bought} ({lots} × {n.moq})."
                if bought != math.ceil(need) else f" Coincide con el mínimo de compra ({n.moq}).")
    return target + rounding


def _donors(donors: list[DonorView], plan: SupplyPlan) -> str:
    if not donors:
        return "No hay otra bodega con este producto para trasladar."
    parts = []
    for d in donors:
        keep = math.ceil(d.rop + d.safety)
        if plan.donor is not None and d.warehouse == plan.donor.warehouse:
            parts.append(f"{d.warehouse} tiene {d.available}: {d.excess} sobre su punto de reorden más su stock de "
                         f"seguridad ({keep}), {d.overstock} por encima de su nivel objetivo "
                         f"({math.ceil(d.up_to)}); el traslado tarda {d.lead_time_days} días")
        elif d.excess <= 0:
            parts.append(f"{d.warehouse} tiene {d.available} pero necesita {keep} (punto de reorden + stock de "
                         f"seguridad): no le sobra para trasladar")
        else:
            parts.append(f"{d.warehouse} tiene {d.excess} de sobra, pero trasladar ({d.lead_time_days} días) no "
                         f"cuesta menos que comprar")
    return "Traslados: " + "; ".join(parts) + "."


def purchase_explanation(n: Numbers, *, need: float, plan: SupplyPlan, donors: list[DonorView]) -> str:
    """Why buy this many units of this SKU for this warehouse, and what it costs."""
    bought = plan.purchase_quantity
    cost = (f"Costo: {bought} × {format_cop(n.unit_cost_cop)} = {format_cop(bought * n.unit_cost_cop)}.")
    if plan.uses_transfer and plan.donor is not None:
        cost += (f" Junto con el traslado de {plan.transfer_quantity} unidades desde {plan.donor.warehouse} el plan "
                 f"compromete {format_cop(plan.plan_cost)}, frente a {format_cop(plan.purchase_only_cost)} "
                 f"comprando todo.")
    header = f"Propongo comprar {bought} unidades de {n.sku} para {n.warehouse}."
    return " ".join([header, _demand(n), _risk(n), _quantity(n, need - plan.transfer_quantity, bought),
                     _donors(donors, plan), cost])


def transfer_explanation(n: Numbers, *, need: float, plan: SupplyPlan, donors: list[DonorView],
                         freight_per_unit_cop: int, margin_cop: int) -> str:
    """Why move units from another warehouse instead of (or besides) buying them."""
    assert plan.donor is not None
    moved, donor = plan.transfer_quantity, plan.donor
    header = f"Propongo trasladar {moved} unidades de {n.sku} desde {donor.warehouse} hacia {n.warehouse}."
    reasons = []
    if moved > plan.bridge_units:
        reasons.append(f"{moved - plan.bridge_units} son sobrantes de {donor.warehouse}: moverlas cuesta "
                       f"{format_cop(freight_per_unit_cop)} por unidad y comprarlas {format_cop(n.unit_cost_cop)}")
    if plan.bridge_units:
        reasons.append(f"{plan.bridge_units} cubren ventas que se perderían antes de que llegue el proveedor "
                       f"(margen {format_cop(margin_cop)} por unidad, más que el flete de "
                       f"{format_cop(freight_per_unit_cop)})")
    rest = (f"el resto ({plan.purchase_quantity}) se compra" if plan.purchase_quantity else "no hace falta comprar")
    why = (f"El traslado llega en {donor.lead_time_days} días (el proveedor, en {n.lead_time_days}); de las {moved}, "
           + " y ".join(reasons) + f"; {rest}. Flete: {format_cop(moved * freight_per_unit_cop)}; el plan "
           f"compromete {format_cop(plan.plan_cost)}, frente a {format_cop(plan.purchase_only_cost)} comprando todo.")
    return " ".join([header, _demand(n), _risk(n), _quantity(n, need, 0), _donors(donors, plan), why])


def no_history_note(*, sku: str, warehouse: str, observed_days: int, minimum_days: int) -> str:
    """The note for a SKU the forecaster cannot judge yet."""
    if observed_days == 0:
        return (f"{sku} en {warehouse}: sin historial de movimientos; no propongo compra automática. Revisa el "
                f"inventario inicial a mano.")
    return (f"{sku} en {warehouse}: sin historial suficiente ({observed_days} días; se necesitan {minimum_days}) "
            f"para pronosticar; no propongo compra automática.")
