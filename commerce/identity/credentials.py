"""Password credentials: the command that stores an upgraded hash after a successful login."""

from __future__ import annotations

from pydantic import StrictInt, StrictStr
from sqlalchemy import update

from commerce.identity.models import User
from commerce.shared.commands import Command
from commerce.shared.unit_of_work import UnitOfWork


class RehashPassword(Command):
    """Replace the user's outdated hash (scrypt, or weaker Argon2 parameters) with `new_hash`."""

    user_id: StrictInt
    expected_hash: StrictStr
    new_hash: StrictStr


def rehash_password(cmd: RehashPassword, uow: UnitOfWork) -> bool:
    """True when stored; False when the hash changed meanwhile (a password change wins)."""
    result = uow.session.execute(
        update(User)
        .where(User.id == cmd.user_id, User.password_hash == cmd.expected_hash)
        .values(password_hash=cmd.new_hash)
    )
    return bool(getattr(result, "rowcount", 0))
