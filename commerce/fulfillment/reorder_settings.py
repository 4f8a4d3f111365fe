"""Per-seller reorder settings, with the defaults a seller gets before changing anything."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field
from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from commerce.identity.principal import SYSTEM, Principal, Scope
from commerce.shared.clock import utcnow
from commerce.shared.commands import Command
from commerce.shared.errors import InvalidInput
from commerce.shared.orm import Base
from commerce.shared.unit_of_work import UnitOfWork

DEFAULT_SERVICE_LEVEL = 0.95
DEFAULT_REVIEW_PERIOD_DAYS = 7
DEFAULT_TRANSFER_LEAD_DAYS = 3  # a truck between two of our warehouses, door to door
DEFAULT_TRANSFER_COST_PER_UNIT_COP = 2_000  # freight and handling of one unit between warehouses
DEFAULT_AUTO_APPROVE_LIMIT_COP = 0  # 0: every proposal waits for the seller


class ReorderSettingsRow(Base):
    """A seller's choices; a seller without a row uses the defaults above."""

    __tablename__ = "reorder_settings"
    __table_args__ = (
        CheckConstraint("service_level >= 0.5 AND service_level < 1", name="service_level_range"),
        CheckConstraint("review_period_days >= 1", name="review_period_positive"),
        CheckConstraint("auto_approve_limit_cop >= 0", name="auto_approve_non_negative"),
    )

    seller_id: Mapped[str] = mapped_column(ForeignKey("sellers.id"), primary_key=True)
    service_level: Mapped[float] = mapped_column(Float, default=DEFAULT_SERVICE_LEVEL)
    review_period_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_REVIEW_PERIOD_DAYS)
    transfer_lead_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_TRANSFER_LEAD_DAYS)
    # Routes that differ from the default, as {"MED>BAQ": 4}.
    transfer_lead_overrides: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    transfer_cost_per_unit_cop: Mapped[int] = mapped_column(Integer, default=DEFAULT_TRANSFER_COST_PER_UNIT_COP)
    auto_approve_limit_cop: Mapped[int] = mapped_column(Integer, default=DEFAULT_AUTO_APPROVE_LIMIT_COP)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(120), default=None)


@dataclass(frozen=True)
class ReorderSettings:
    """The values a cycle uses for one seller."""

    service_level: float = DEFAULT_SERVICE_LEVEL
    review_period_days: int = DEFAULT_REVIEW_PERIOD_DAYS
    transfer_lead_days: int = DEFAULT_TRANSFER_LEAD_DAYS
    transfer_lead_overrides: dict[str, int] = field(default_factory=dict)
    transfer_cost_per_unit_cop: int = DEFAULT_TRANSFER_COST_PER_UNIT_COP
    auto_approve_limit_cop: int = DEFAULT_AUTO_APPROVE_LIMIT_COP

    def transfer_lead(self, source: str, destination: str) -> int:
        """Days a transfer from `source` takes to reach `destination`."""
        return int(self.transfer_lead_overrides.get(f"{source}>{destination}", self.transfer_lead_days))


def settings_for(*, uow: UnitOfWork, seller_id: str) -> ReorderSettings:
    """The seller's reorder settings, or the defaults."""
    row = uow.session.get(ReorderSettingsRow, seller_id)
    if row is None:
        return ReorderSettings()
    return ReorderSettings(
        service_level=row.service_level, review_period_days=row.review_period_days,
        transfer_lead_days=row.transfer_lead_days,
        transfer_lead_overrides={str(k): int(v) for k, v in (row.transfer_lead_overrides or {}).items()},
        transfer_cost_per_unit_cop=row.transfer_cost_per_unit_cop, auto_approve_limit_cop=row.auto_approve_limit_cop,
    )


class UpdateReorderSettings(Command):
    """Change some of a seller's reorder settings; fields left out keep their value."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    seller_id: str = Field(min_length=1, max_length=16)
    service_level: float | None = Field(default=None, ge=0.5, lt=1)
    review_period_days: int | None = Field(default=None, ge=1, le=90)
    transfer_lead_days: int | None = Field(default=None, ge=1, le=60)
    transfer_lead_overrides: dict[str, int] | None = None
    transfer_cost_per_unit_cop: int | None = Field(default=None, ge=0, le=10_000_000)
    auto_approve_limit_cop: int | None = Field(default=None, ge=0, le=10_000_000_000)
    actor: Principal = SYSTEM


def update_reorder_settings(cmd: UpdateReorderSettings, uow: UnitOfWork) -> ReorderSettings:
    """Store the seller's new settings and return them as the next cycle will use them."""
    cmd.actor.require(Scope.REORDER_CONFIGURE)
    cmd.actor.require_seller(cmd.seller_id, f"la configuración de reorden de {cmd.seller_id}")
    for route, days in (cmd.transfer_lead_overrides or {}).items():
        origin, _, destination = route.partition(">")
        if not (origin and destination) or not 1 <= days <= 60:
            raise InvalidInput(f"Ruta de traslado inválida: «{route}» = {days} (usa \"MED>BAQ\": días entre 1 y 60).")
    row = uow.session.get(ReorderSettingsRow, cmd.seller_id, with_for_update=True)
    if row is None:
        defaults = ReorderSettings()
        row = ReorderSettingsRow(
            seller_id=cmd.seller_id, service_level=defaults.service_level,
            review_period_days=defaults.review_period_days, transfer_lead_days=defaults.transfer_lead_days,
            transfer_lead_overrides={}, transfer_cost_per_unit_cop=defaults.transfer_cost_per_unit_cop,
            auto_approve_limit_cop=defaults.auto_approve_limit_cop)
        uow.session.add(row)
    changes = cmd.model_dump(exclude={"seller_id", "actor"}, exclude_none=True)
    for name, value in changes.items():
        setattr(row, name, value)
    row.updated_by = cmd.actor.email
    uow.session.flush()
    return settings_for(uow=uow, seller_id=cmd.seller_id)
