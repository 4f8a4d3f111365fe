"""Encryption at rest: round trip, the database files hold no clear personal value, rotation under load,
the 90-day warning, production refuses to start without keys."""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from commerce.identity.channels import find_user_by_phone
from commerce.identity.mfa import TotpCredential
from commerce.identity.models import User
from commerce.identity.phone_binding import VerifiedPhone
from commerce.marketplace.models import Seller
from infra import migrate
from infra.bootstrap import Platform, install_key_ring
from infra.crypto import KeyRing, key_file
from infra.erasure_storage import scrub_sqlite_file
from infra.key_rotation import left_on_old_keys, rotate
from infra.settings import BusKind, ChromaMode, Profile, Settings, SettingsError
from tests.conftest import DEMO_PASSWORD, TEST_KEY_FILE, auth_headers, make_settings

WORLD = json.loads((Path(__file__).parents[2] / "infra/seed/demo-world.json").read_text())
BUYER_VALUES = [b[f] for b in WORLD["buyers"] for f in ("name", "cedula", "phone", "address")]
SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """A private copy of the session's key file: these tests rotate and age keys."""
    own = tmp_path / "keys.json"
    shutil.copyfile(TEST_KEY_FILE, own)
    return make_settings(tmp_path, database_url, encryption_key_file=own)


def clear_values_in(path: Path, values: list[str]) -> list[str]:
    data = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    return [v for v in values if v.encode() in data]


def test_round_trip_binds_each_value_to_its_key_and_column(tmp_path: Path) -> None:
    ring = KeyRing(make_settings(tmp_path, f"sqlite:///{tmp_path}/x.db"))
    token = ring.encrypt("1020345678", context="buyers.cedula")
    assert token.startswith(f"enc:v1:{ring.active_key_id}:") and "1020345678" not in token
    assert ring.decrypt(token, context="buyers.cedula") == "1020345678"
    assert ring.encrypt("1020345678", context="buyers.cedula") != token  # a fresh nonce every time
    with pytest.raises(InvalidTag):
        ring.decrypt(token, context="buyers.phone")  # moved to another column: refused
    assert ring.blind_index("573105550101") == ring.blind_index("573105550101") != ring.blind_index("x")


@SQLITE
def test_the_migration_encrypts_existing_rows_and_the_files_hold_no_clear_value(platform: Platform,
                                                                                client: TestClient) -> None:
    db = Path(platform.settings.database_url.removeprefix("sqlite:///"))
    with platform.session_factory() as session:  # login emails, sellers' contact emails, WhatsApp numbers, TOTP
        business = list(session.scalars(select(Seller.contact_email)))
        account_values = [*session.scalars(select(User.email)), *business,
                          *session.scalars(select(VerifiedPhone.phone)),
                          *(s for s in session.scalars(select(TotpCredential.secret)) if s)]
    assert WORLD["users"][0]["email"] in account_values and any(v.isdigit() for v in account_values)
    assert sorted(business) == sorted(s["contact_email"] for s in WORLD["sellers"])
    migrate.downgrade(platform.engine, "0014")  # decrypts: the schema and rows as before encryption
    scrub_sqlite_file(db, vacuum=False)
    assert clear_values_in(db, BUYER_VALUES + account_values) == BUYER_VALUES + account_values
    migrate.upgrade(platform.engine)
    scrub_sqlite_file(db)
    assert clear_values_in(db, BUYER_VALUES + account_values) == []
    # Logins find the account by the email's blind index, whatever its case.
    assert client.post("/v1/auth/token", data={"username": " LAURA.Gomez@example.co",
                                               "password": DEMO_PASSWORD}).status_code == 200
    # Everything still reads and looks up: the export, a WhatsApp sender by phone, a new ticket's text.
    laura = auth_headers(client, "laura.gomez@example.co")
    assert client.get("/v1/me/data", headers=laura).json()["buyer"]["cedula"] == "1020345678"
    with platform.session_factory() as session:
        found = find_user_by_phone(session, "+57 310 555 0101")
    assert found is not None and found.email == "laura.gomez@example.co"
    chat = client.post("/v1/chat/threads/t/messages", headers=laura,
                       json={"message": "quiero hablar con una persona, mi cédula es 1020345678"})
    assert chat.status_code == 200
    scrub_sqlite_file(db, vacuum=False)
    scrub_sqlite_file(platform.settings.checkpoints_path, vacuum=False)
    assert clear_values_in(db, ["1020345678"]) == []
    assert clear_values_in(platform.settings.checkpoints_path, ["1020345678", "hablar con una persona"]) == []
    assert client.get("/v1/chat/threads/t", headers=laura).json()["messages"][0]["text"].endswith("1020345678")


@SQLITE
def test_rotation_under_load_leaves_no_value_on_the_old_key(platform: Platform, client: TestClient) -> None:
    laura = auth_headers(client, "laura.gomez@example.co")
    old = platform.key_ring.active_key_id  # type: ignore[union-attr]
    errors: list[str] = []
    served = [0]
    stop = threading.Event()

    def traffic() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            fixed = client.patch("/v1/me", json={"address": f"Calle {n} # 1-2"}, headers=laura)
            read = client.get("/v1/me/data", headers=laura)
            if fixed.status_code != 200 or read.status_code != 200:
                errors.append(f"{fixed.status_code} {read.status_code} {read.text[:200]}")
            served[0] += 1

    worker = threading.Thread(target=traffic)
    worker.start()
    try:
        # Another process's ring: the serving one learns the new key from the file.
        report = rotate(platform.settings, platform.engine, KeyRing(platform.settings), batch=2)
    finally:
        stop.set()
        worker.join()
    assert errors == [] and served[0] > 0
    assert report.new_key != old and report.left_on_old_keys == 0 and sum(report.reencrypted.values()) > 0
    assert left_on_old_keys(platform.engine, KeyRing(platform.settings)) == 0
    with platform.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM buyers WHERE name LIKE :k"),
                            {"k": f"enc:v1:{old}:%"}).scalar_one() == 0
    assert client.get("/v1/me/data", headers=laura).json()["buyer"]["name"] == "Laura Gómez"


@SQLITE
def test_readyz_warns_when_the_active_key_is_older_than_90_days(platform: Platform, client: TestClient) -> None:
    assert "warnings" not in client.get("/readyz").json()
    path = key_file(platform.settings)
    raw = json.loads(path.read_text())
    raw["keys"][0]["created_at"] = (datetime.now(UTC) - timedelta(days=91)).isoformat()
    path.write_text(json.dumps(raw))
    platform.key_ring.reload()  # type: ignore[union-attr]
    ready = client.get("/readyz")
    assert ready.status_code == 200 and "keys rotate" in ready.json()["warnings"][0]


def test_production_refuses_to_start_without_keys(tmp_path: Path) -> None:
    production = Settings(_env_file=None, profile=Profile.PRODUCTION, data_dir=tmp_path,  # type: ignore[call-arg]
                          database_url="postgresql://u@h/db", bus=BusKind.KAFKA, kafka_bootstrap_servers="k:9092",
                          chroma_mode=ChromaMode.HTTP, chroma_url="http://c:8000", jwt_secret="x" * 40,
                          rate_limit_storage_url="redis://r:6379/1")
    with pytest.raises(SettingsError, match="encryption keys"):
        install_key_ring(production)
    assert not key_file(production).exists()  # nothing generated in production


def test_a_clear_checkpoint_written_before_encryption_still_loads(tmp_path: Path) -> None:
    from langgraph.checkpoint.sqlite import SqliteSaver

    from infra.crypto import checkpoint_serializer

    conn = sqlite3.connect(tmp_path / "cp.sqlite", check_same_thread=False)
    config = {"configurable": {"thread_id": "t", "checkpoint_ns": ""}}
    clear = SqliteSaver(conn)
    clear.setup()
    from langgraph.checkpoint.base import empty_checkpoint

    checkpoint = empty_checkpoint()
    checkpoint["channel_values"] = {"note": "hola"}
    clear.put(config, checkpoint, {}, {})  # type: ignore[arg-type]
    encrypted = SqliteSaver(conn, serde=checkpoint_serializer(KeyRing(make_settings(tmp_path, "sqlite:///x"))))
    loaded = encrypted.get_tuple(config)  # type: ignore[arg-type]
    assert loaded is not None and loaded.checkpoint["channel_values"]["note"] == "hola"
