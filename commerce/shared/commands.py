"""Base class of commands: intentions with a single handler."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Command(BaseModel):
    """A request to change state. Validated on construction; immutable afterwards.

    Numbers and ids are `StrictInt`/`StrictStr` fields: lax pydantic would turn `true` or `"1"`
    into 1 and `1.5` would fail late, so a crafted body could become a real order. A command
    takes only what its type says (a `StrEnum` member is a str and passes).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
