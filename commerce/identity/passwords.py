"""Password hashing: Argon2id through `pwdlib`, still verifying the scrypt hashes stored before it.

New hashes are Argon2id with OWASP's recommended parameters (m=19 MiB, t=2, p=1). argon2-cffi's
own defaults (m=64 MiB, t=3, p=4) measured 7x slower per login here (1.16 s against 0.16 s on
the loaded 2-core machine) and p=4 occupies every core of a small server per attempt, which
turns a login flood into a denial of service; the lockout limits guessing instead.

A stored scrypt hash ('scrypt$N$r$p$salt$hash', what this module wrote until Argon2id) still
verifies; `verify_and_update` then returns the Argon2id replacement, which the login stores
with the `RehashPassword` command.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from pwdlib import PasswordHash
from pwdlib.exceptions import UnknownHashError
from pwdlib.hashers.argon2 import Argon2Hasher

_SCRYPT_PREFIX = "scrypt$"


class LegacyScryptHasher:
    """pwdlib's hasher protocol over the old scrypt format: verify only, never used for new hashes."""

    @classmethod
    def identify(cls, hash: str | bytes) -> bool:
        text = hash.decode() if isinstance(hash, bytes) else hash
        return text.startswith(_SCRYPT_PREFIX)

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        raise NotImplementedError("scrypt hashes are only verified; new hashes are Argon2id")

    def verify(self, password: str | bytes, hash: str | bytes) -> bool:
        text = hash.decode() if isinstance(hash, bytes) else hash
        secret = password.encode() if isinstance(password, str) else password
        try:
            _, n, r, p, salt_b64, digest_b64 = text.split("$")
            salt, expected = base64.b64decode(salt_b64), base64.b64decode(digest_b64)
            digest = hashlib.scrypt(secret, salt=salt, n=int(n), r=int(r), p=int(p), dklen=len(expected))
        except (ValueError, binascii.Error):
            return False
        return hmac.compare_digest(digest, expected)

    def check_needs_rehash(self, hash: str | bytes) -> bool:
        return True


# The first hasher hashes; the others only verify (and mark their hashes for an upgrade).
_HASHER = PasswordHash((Argon2Hasher(memory_cost=19 * 1024, time_cost=2, parallelism=1), LegacyScryptHasher()))


def hash_password(password: str) -> str:
    """Return an Argon2id hash ('$argon2id$v=19$m=…') for storage."""
    return _HASHER.hash(password)


def verify_and_update(password: str, stored: str) -> tuple[bool, str | None]:
    """(matches, replacement): the replacement is a fresh Argon2id hash when `stored` is outdated."""
    try:
        return _HASHER.verify_and_update(password, stored)
    except UnknownHashError:
        return False, None


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of a password against a stored hash (Argon2id or legacy scrypt)."""
    return verify_and_update(password, stored)[0]
