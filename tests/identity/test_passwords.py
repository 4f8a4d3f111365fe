"""Argon2id for new hashes; scrypt hashes from before still log in once and are then replaced."""

from __future__ import annotations

import base64
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.low_level import Type
from fastapi.testclient import TestClient

from commerce.identity.credentials import RehashPassword
from commerce.identity.passwords import hash_password, verify_and_update, verify_password
from infra.bootstrap import Platform
from tests.security.conftest import LAURA, update_user, user_row

PASSWORD = "una-clave-larga-de-prueba"


def legacy_scrypt(password: str) -> str:
    """The format the platform stored before Argon2id: 'scrypt$N$r$p$salt$hash'."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return "$".join(["scrypt", "16384", "8", "1", base64.b64encode(salt).decode(), base64.b64encode(digest).decode()])


def test_new_hashes_are_argon2id_with_a_fresh_salt() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first.startswith("$argon2id$v=19$") and first != second
    params = dict(part.split("=") for part in first.split("$")[3].split(","))
    assert int(params["m"]) >= 19 * 1024 and int(params["t"]) >= 2  # OWASP's Argon2id minimum
    assert PasswordHasher().verify(first, PASSWORD)  # a standard Argon2id verifier accepts it
    assert verify_password(PASSWORD, first) and not verify_password(PASSWORD + "x", first)


def test_a_scrypt_hash_verifies_and_asks_for_an_argon2id_replacement() -> None:
    old = legacy_scrypt(PASSWORD)
    matches, replacement = verify_and_update(PASSWORD, old)
    assert matches and replacement is not None and replacement.startswith("$argon2id$")
    assert verify_and_update(PASSWORD + "x", old) == (False, None)
    assert verify_and_update(PASSWORD, hash_password(PASSWORD)) == (True, None)


def test_weaker_argon2_parameters_are_upgraded_too() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID).hash(PASSWORD)
    matches, replacement = verify_and_update(PASSWORD, weak)
    assert matches and replacement is not None and replacement != weak


def test_malformed_or_unknown_hashes_never_match() -> None:
    for stored in ("", "scrypt$1$2", "scrypt$x$8$1$!!$!!", "$2b$12$abcdefghijklmnopqrstuv", "plain"):
        assert verify_and_update(PASSWORD, stored) == (False, None)


def test_an_old_scrypt_hash_logs_in_and_is_replaced_at_that_login(client: TestClient, platform: Platform) -> None:
    update_user(platform, LAURA, password_hash=legacy_scrypt(PASSWORD))
    wrong = client.post("/v1/auth/token", data={"username": LAURA, "password": "otra-clave"})
    assert wrong.status_code == 401 and wrong.json()["detail"] == "Correo o contraseña incorrectos."
    assert user_row(platform, LAURA).password_hash.startswith("scrypt$")  # a failure changes nothing

    assert client.post("/v1/auth/token", data={"username": LAURA, "password": PASSWORD}).status_code == 200
    upgraded = user_row(platform, LAURA).password_hash
    assert upgraded.startswith("$argon2id$") and verify_password(PASSWORD, upgraded)

    # The new hash is the one used from now on, and it is not rewritten at every login.
    assert client.post("/v1/auth/token", data={"username": LAURA, "password": PASSWORD}).status_code == 200
    assert user_row(platform, LAURA).password_hash == upgraded
    assert client.post("/v1/auth/token", data={"username": LAURA, "password": "otra-clave"}).status_code == 401


def test_a_rehash_does_not_overwrite_a_password_changed_meanwhile(platform: Platform) -> None:
    old = legacy_scrypt(PASSWORD)
    update_user(platform, LAURA, password_hash=old)
    changed = hash_password("clave-nueva")
    update_user(platform, LAURA, password_hash=changed)
    stored = platform.bus.handle(RehashPassword(user_id=user_row(platform, LAURA).id, expected_hash=old,
                                                new_hash=hash_password(PASSWORD)))
    assert stored is False and user_row(platform, LAURA).password_hash == changed
