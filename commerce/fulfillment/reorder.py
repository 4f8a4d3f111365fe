"""The reorder cycle: forecast every SKU×warehouse, apply the policy, draft purchase orders and transfers.

One command, one transaction: the drafts, their proposal rows (numbers and explanation), the
`stock.low_predicted` and `reorder.initiated` events and the cycle row commit together. The cycle
id makes a repeated run return what the first one did; a new cycle skips every SKU×warehouse that
an open purchase order or a pending transfer already covers, so running again right after creates
nothing.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from commerce.fulfillment import commands as fc
from commerce.fulfillment import handlers as fh
from commerce.fulfillment import reorder_policy as policy
from commerce.fulfillment.demand import DemandSeries, SeriesKey, daily_demand, latest_sale_prices
from commerce.fulfillment.forecast import Forecast, forecast_many
from commerce.fulfillment.models import StockLevel, Supplier, SupplyItem
from commerce.fulfillment.purchase_events import AGENT_SOURCE
from commerce.fulfillment.reorder_explain import (
    DonorView,
    Numbers,
    no_history_note,
    purchase_explanation,
    transfer_explanation,
)
from commerce.fulfillment.reorder_proposals import (
    ProposalKind,
    ProposalRead,
    ReorderCycle,
    ReorderProposal,
    covered_pairs,
)
from commerce.fulfillment.reorder_settings import (
    ReorderSettings,
    UpdateReorderSettings,
    settings_for,
    update_reorder_settings,
)
from commerce.identity.principal import SYSTEM, Principal, Scope
from commerce.shared import events
from commerce.shared.clock import to_bogota, utcnow
from commerce.shared.commands import Command
from commerce.shared.unit_of_work import UnitOfWork

MIN_HISTORY_DAYS = 14  # fewer observed days than two weeks cannot show a weekly pattern or a σ


class RunReorderCycle(Command):
    """Run one reorder cycle now, for one seller or (staff) for all."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    cycle_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9:_.-]+$")
    seller_id: str | None = Field(default=None, min_length=1, max_length=16)
    as_of: datetime | None = None
    actor: Principal = SYSTEM


class CycleNote(BaseModel):
    sku: str
    warehouse: str
    text: str


class CycleResult(BaseModel):
    """What one cycle proposed; a replayed cycle returns the first run's result with `replayed`."""

    cycle_id: str
    replayed: bool = False
    as_of: datetime
    evaluated: int
    low_predicted: int
    proposals: list[ProposalRead]
    notes: list[CycleNote]
    purchase_orders: list[str]
    auto_approved: list[str]


@dataclass(frozen=True)
class StockRow:
    """One SKU in one warehouse with what the policy needs to know about its supply."""
    sku: str
    warehouse: str
    seller_id: str
    supplier_id: str
    supplier_name: str
    lead_time_days: int
    moq: int
    unit_cost_cop: int
    available: int

    @property
    def key(self) -> SeriesKey:
        return (self.sku, self.warehouse)


@dataclass(frozen=True)
class Decision:
    """A pair that needs stock, its numbers and how the policy meets the need."""
    row: StockRow
    numbers: Numbers
    need: float
    plan: policy.SupplyPlan
    donors: list[DonorView]
    margin_cop: int


def default_cycle_id(as_of: datetime, seller_id: str | None) -> str:
    """One cycle per seller and Bogotá hour: the hourly schedule and a manual run in that hour agree."""
    return f"RC-{to_bogota(as_of):%Y%m%d%H}-{seller_id or 'ALL'}"


def run_reorder_cycle(cmd: RunReorderCycle, uow: UnitOfWork) -> CycleResult:
    """Forecast, decide and draft; a cycle id seen before changes nothing and returns its first result."""
    seller_id = _scope(cmd.actor, cmd.seller_id)
    as_of = cmd.as_of or utcnow()
    cycle_id = cmd.cycle_id or default_cycle_id(as_of, seller_id)
    done = uow.session.get(ReorderCycle, cycle_id)
    if done is not None:
        return CycleResult.model_validate({**done.summary, "replayed": True})
    cycle = ReorderCycle(id=cycle_id, seller_id=seller_id, as_of=as_of)
    uow.session.add(cycle)
    uow.session.flush()  # a concurrent run of the same cycle stops here on the primary key
    rows = _stock_rows(uow, seller_id)
    settings = {s: settings_for(uow=uow, seller_id=s) for s in sorted({r.seller_id for r in rows})}
    decisions, notes = plan(
        rows=rows, demand=daily_demand(uow=uow, as_of=as_of, keys=[r.key for r in rows]), settings=settings,
        covered=covered_pairs(uow=uow, skus=sorted({r.sku for r in rows}), as_of=as_of),
        prices=latest_sale_prices(uow=uow, skus={r.sku for r in rows}), today=to_bogota(as_of).date(),
    )
    result = _record(uow, cycle, decisions, settings)
    result = result.model_copy(update={"evaluated": len(rows), "notes": notes})
    cycle.summary = result.model_dump(mode="json")
    return result


def plan(
    *, rows: list[StockRow], demand: dict[SeriesKey, DemandSeries | None], settings: dict[str, ReorderSettings],
    covered: set[SeriesKey], prices: dict[str, int], today: date,
) -> tuple[list[Decision], list[CycleNote]]:
    """Forecasting and policy without the database: what a cycle would propose (the benchmark times this)."""
    numbers, notes = _analyse(rows, demand, settings, today)
    return _decide(rows, numbers, covered, settings, prices), notes


def _scope(actor: Principal, seller_id: str | None) -> str | None:
    actor.require(Scope.REORDER_RUN)
    if seller_id is None and not actor.cross_tenant:
        seller_id = actor.seller_id or ""
    if seller_id is not None:
        actor.require_seller(seller_id, f"el reabastecimiento de {seller_id}")
    return seller_id


def _stock_rows(uow: UnitOfWork, seller_id: str | None) -> list[StockRow]:
    stmt = (
        select(StockLevel, SupplyItem, Supplier)
        .join(SupplyItem, SupplyItem.sku == StockLevel.sku)
        .join(Supplier, Supplier.id == SupplyItem.supplier_id)
        .order_by(StockLevel.sku, StockLevel.warehouse)
    )
    if seller_id is not None:
        stmt = stmt.where(SupplyItem.seller_id == seller_id)
    return [
        StockRow(sku=level.sku, warehouse=level.warehouse, seller_id=item.seller_id, supplier_id=supplier.id,
             supplier_name=supplier.name, lead_time_days=supplier.lead_time_days, moq=item.moq,
             unit_cost_cop=item.unit_cost_cop, available=level.available)
        for level, item, supplier in uow.session.execute(stmt)
    ]


def _analyse(
    rows: list[StockRow], demand: dict[SeriesKey, DemandSeries | None], settings: dict[str, ReorderSettings],
    today: date,
) -> tuple[dict[SeriesKey, Numbers], list[CycleNote]]:
    """The policy's numbers for every pair with enough history; a note for the others."""
    notes: list[CycleNote] = []
    ready: list[tuple[StockRow, DemandSeries]] = []
    for row in rows:
        series = demand.get(row.key)
        if series is None or series.observed_days < MIN_HISTORY_DAYS:
            observed = 0 if series is None else series.observed_days
            notes.append(CycleNote(sku=row.sku, warehouse=row.warehouse, text=no_history_note(
                sku=row.sku, warehouse=row.warehouse, observed_days=observed, minimum_days=MIN_HISTORY_DAYS)))
        else:
            ready.append((row, series))
    forecasts = forecast_many([series.units for _, series in ready])
    return {row.key: _numbers(row, f, settings[row.seller_id], today) for (row, _), f in zip(ready, forecasts,
                                                                                              strict=True)}, notes


def _numbers(row: StockRow, forecast: Forecast, settings: ReorderSettings, today: date) -> Numbers:
    z = policy.z_value(settings.service_level)
    safety = policy.safety_stock(z=z, sigma_daily=forecast.sigma, lead_time_days=row.lead_time_days)
    return Numbers(
        sku=row.sku, warehouse=row.warehouse, available=row.available, forecast=forecast,
        lead_time_days=row.lead_time_days, review_days=settings.review_period_days,
        service_level=settings.service_level, z=z, safety=safety,
        rop=policy.reorder_point(daily=forecast.daily, lead_time_days=row.lead_time_days, safety=safety),
        up_to=policy.order_up_to(daily=forecast.daily, lead_time_days=row.lead_time_days,
                                 review_days=settings.review_period_days, safety=safety),
        moq=row.moq, unit_cost_cop=row.unit_cost_cop, supplier_name=row.supplier_name,
        stockout_on=policy.stockout_date(today=today, available=row.available, daily=forecast.daily),
    )


def _decide(
    rows: list[StockRow], numbers: dict[SeriesKey, Numbers], covered: set[SeriesKey],
    settings: dict[str, ReorderSettings], prices: dict[str, int],
) -> list[Decision]:
    """Which pairs need stock and how each gets it; donors' excess is shared out once per cycle."""
    excess = {key: policy.transferable_excess(available=n.available, rop=n.rop, safety=n.safety)
              for key, n in numbers.items()}
    given: dict[SeriesKey, int] = defaultdict(int)
    by_sku: dict[str, list[Numbers]] = defaultdict(list)
    for analysed in numbers.values():
        by_sku[analysed.sku].append(analysed)
    decisions = []
    for row in rows:
        n = numbers.get(row.key)
        if n is None or row.key in covered:
            continue
        if not policy.needs_reorder(available=n.available, daily=n.forecast.daily, rop=n.rop):
            continue
        rules = settings[row.seller_id]
        donors = [_donor(o, excess[(o.sku, o.warehouse)], given[(o.sku, o.warehouse)],
                         rules.transfer_lead(o.warehouse, row.warehouse))
                  for o in by_sku[row.sku] if o.warehouse != row.warehouse]
        need = n.up_to - n.available
        margin = policy.unit_margin_cop(sale_price_cop=prices.get(row.sku), unit_cost_cop=row.unit_cost_cop)
        plan = policy.plan_supply(
            need=need, moq=row.moq, unit_cost_cop=row.unit_cost_cop, available=n.available, daily=n.forecast.daily,
            margin_cop=margin,
            supplier_lead_days=row.lead_time_days,
            donors=[policy.Donor(warehouse=d.warehouse, excess=d.excess, overstock=d.overstock,
                                 lead_time_days=d.lead_time_days) for d in donors],
            transfer_cost_per_unit_cop=rules.transfer_cost_per_unit_cop,
        )
        if plan.donor is not None:
            excess[(row.sku, plan.donor.warehouse)] -= plan.transfer_quantity
            given[(row.sku, plan.donor.warehouse)] += plan.transfer_quantity
        decisions.append(Decision(row=row, numbers=n, need=need, plan=plan, donors=donors, margin_cop=margin))
    return decisions


def _donor(n: Numbers, excess: int, given: int, lead_time_days: int) -> DonorView:
    """A donor as this cycle leaves it: units already promised to another warehouse are gone."""
    left = n.available - given
    return DonorView(warehouse=n.warehouse, available=left, rop=n.rop, safety=n.safety, up_to=n.up_to,
                     excess=excess, overstock=policy.donor_overstock(available=left, up_to=n.up_to, excess=excess),
                     lead_time_days=lead_time_days)


def _proposal(cycle: ReorderCycle, d: Decision, *, kind: ProposalKind, quantity: int, unit_cost: int,
              explanation: str, purchase_order_id: str | None = None) -> ReorderProposal:
    n = d.numbers
    return ReorderProposal(
        cycle_id=cycle.id, seller_id=d.row.seller_id, kind=kind, sku=n.sku, warehouse=n.warehouse,
        from_warehouse=d.plan.donor.warehouse if kind is ProposalKind.TRANSFER and d.plan.donor else None,
        purchase_order_id=purchase_order_id, quantity=quantity, unit_cost_cop=unit_cost,
        cost_cop=quantity * unit_cost, method=n.forecast.method, daily_demand=round(n.forecast.daily, 4),
        lead_time_days=(d.plan.donor.lead_time_days if kind is ProposalKind.TRANSFER and d.plan.donor
                        else n.lead_time_days),
        safety_stock=math.ceil(n.safety), reorder_point=math.ceil(n.rop), available=n.available,
        stockout_on=n.stockout_on, explanation=explanation,
    )


def _record(uow: UnitOfWork, cycle: ReorderCycle, decisions: list[Decision],
            settings: dict[str, ReorderSettings]) -> CycleResult:
    """Write drafts, proposals and events; auto-approve drafts under the seller's limit."""
    proposals: list[ReorderProposal] = []
    purchases: dict[tuple[str, str], list[Decision]] = defaultdict(list)
    for d in decisions:
        n = d.numbers
        uow.add_event(events.StockLowPredicted(
            sku=n.sku, warehouse=n.warehouse, lead_time_days=n.lead_time_days,
            days_of_cover=round(min(policy.days_of_cover(available=n.available, daily=n.forecast.daily), 9999.0), 2)))
        if d.plan.uses_transfer:
            freight = settings[d.row.seller_id].transfer_cost_per_unit_cop
            proposals.append(_proposal(cycle, d, kind=ProposalKind.TRANSFER, quantity=d.plan.transfer_quantity,
                                       unit_cost=freight, explanation=transfer_explanation(
                                           n, need=d.need, plan=d.plan, donors=d.donors,
                                           freight_per_unit_cop=freight, margin_cop=d.margin_cop)))
        if d.plan.purchase_quantity:
            purchases[(d.row.supplier_id, d.row.warehouse)].append(d)
    orders, approved = [], []
    for (supplier_id, warehouse), group in sorted(purchases.items()):
        po_id = fh.create_purchase_order(fc.CreatePurchaseOrder(
            supplier_id=supplier_id, warehouse=warehouse, source=AGENT_SOURCE, actor=SYSTEM,
            note=f"Propuesta automática del ciclo {cycle.id}",
            lines=[fc.PurchaseLine(sku=d.row.sku, quantity=d.plan.purchase_quantity) for d in group]), uow)
        orders.append(po_id)
        for d in group:
            proposals.append(_proposal(cycle, d, kind=ProposalKind.PURCHASE, quantity=d.plan.purchase_quantity,
                                       unit_cost=d.row.unit_cost_cop, purchase_order_id=po_id,
                                       explanation=purchase_explanation(d.numbers, need=d.need, plan=d.plan,
                                                                        donors=d.donors)))
        limit = settings[group[0].row.seller_id].auto_approve_limit_cop
        if limit and sum(d.plan.purchase_quantity * d.row.unit_cost_cop for d in group) <= limit:
            fh.approve_purchase_order(fc.ApprovePurchaseOrder(purchase_order_id=po_id, actor=SYSTEM), uow)
            approved.append(po_id)
    uow.session.add_all(proposals)
    uow.session.flush()
    return CycleResult(cycle_id=cycle.id, as_of=cycle.as_of, evaluated=0, low_predicted=len(decisions),
                       proposals=[ProposalRead.model_validate(p) for p in proposals], notes=[],
                       purchase_orders=orders, auto_approved=approved)


COMMAND_HANDLERS: dict[type[Command], Any] = {
    RunReorderCycle: run_reorder_cycle,
    UpdateReorderSettings: update_reorder_settings,
}
