"""Base class of commands: intentions with a single handler."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Command(BaseModel):
    """A request to change state. Validated on construction; immutable afterwards."""

    model_config = ConfigDict(frozen=True, extra="forbid")
