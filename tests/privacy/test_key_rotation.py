"""`mestocker keys rotate` moves every encrypted value at rest onto the new key, on SQLite and PostgreSQL:
text columns, JSON columns (stored idempotent responses, payment documents) and the LangGraph checkpoint
store; while traffic keeps reading and writing; without ever overwriting a concurrent write."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text

from api.app import create_app
from commerce.marketplace.models import Buyer, Payment, PaymentNotification, Seller
from commerce.shared.orm import Base
from infra.bootstrap import Platform, bootstrap
from infra.crypto import KeyRing, checkpoint_serializer, key_file
from infra.db import make_engine
from infra.key_rotation import (
    POSTGRES_CHECKPOINT_TABLES,
    SQLITE_CHECKPOINT_TABLES,
    CheckpointTable,
    add_active_key,
    encrypted_columns,
    left_by_store,
    left_on_old_keys,
    reencrypt_batch,
    reencrypt_checkpoint_batch,
    rotate,
)
from infra.settings import Settings
from tests.conftest import TEST_KEY_FILE, auth_headers, make_settings

LAURA = "laura.gomez@example.co"
BOTH = pytest.mark.parametrize("database_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                               indirect=True)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """A private copy of the session's key file: these tests add keys to it."""
    own = tmp_path / "keys.json"
    shutil.copyfile(TEST_KEY_FILE, own)
    return make_settings(tmp_path, database_url, encryption_key_file=own)


def checkpoint_engine(settings: Settings, engine: Engine) -> tuple[Engine, tuple[CheckpointTable, ...]]:
    if settings.is_sqlite:
        return make_engine(f"sqlite:///{settings.checkpoints_path}"), SQLITE_CHECKPOINT_TABLES
    return engine, POSTGRES_CHECKPOINT_TABLES


def stored_key_ids(settings: Settings, engine: Engine) -> dict[str, dict[str, int]]:
    """How many stored values name each key id (or none: 'clear'), read straight from the tables."""
    found: dict[str, dict[str, int]] = {}
    with engine.connect() as conn:
        for table, column, _context in encrypted_columns():
            for (value,) in conn.execute(text(f"SELECT {column} FROM {table.name} WHERE {column} IS NOT NULL")):
                key = value.split(":")[2] if value.startswith("enc:v1:") else "clear"
                found.setdefault(f"{table.name}.{column}", {}).setdefault(key, 0)
                found[f"{table.name}.{column}"][key] += 1
    store, tables = checkpoint_engine(settings, engine)
    with store.connect() as conn:
        for cp in tables:
            for (type_,) in conn.execute(text(f"SELECT type FROM {cp.name} WHERE {cp.value} IS NOT NULL "
                                              "AND type <> 'empty'")):
                key = type_.split("+aesgcm.", 1)[1] if "+aesgcm." in type_ else "clear"
                found.setdefault(f"checkpoints:{cp.name}", {}).setdefault(key, 0)
                found[f"checkpoints:{cp.name}"][key] += 1
    if store is not engine:
        store.dispose()
    return found


def add_payment_documents(platform: Platform, order: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    form = {"action": "https://payu.example/checkout",
            "fields": {"buyerEmail": LAURA, "buyerFullName": "Laura Gómez", "telephone": "3105550101"}}
    raw = {"email_buyer": LAURA, "nickname_buyer": "Laura Gómez", "value": order["total_cop"]}
    with platform.session_factory() as session:
        session.add(Payment(id=f"PAY-{order['id']}-R", order_id=order["id"], gateway="payu", status="pending",
                            amount_cop=order["total_cop"], checkout_form=form))
        session.add(PaymentNotification(gateway="payu", dedup_key=f"R-{order['id']}:approved",
                                        payment_id=f"PAY-{order['id']}-R", transaction_id=f"R-{order['id']}",
                                        status="approved", amount_cop=order["total_cop"], outcome="applied", raw=raw))
        session.commit()
    return form, raw


def without_key(settings: Settings, key_id: str) -> None:
    """Remove a key from the key file: what still reads afterwards needs no old key."""
    path = key_file(settings)
    raw = json.loads(path.read_text())
    raw["keys"] = [k for k in raw["keys"] if k["id"] != key_id]
    path.write_text(json.dumps(raw))


@pytest.fixture
def reopened(settings: Settings) -> Iterator[Any]:
    """Opens a second platform and client over the same stores (after the test changed the key file)."""
    opened: list[tuple[Platform, TestClient]] = []

    def open_() -> TestClient:
        platform = bootstrap(settings)
        client = TestClient(create_app(platform, background_worker=False))
        client.__enter__()
        opened.append((platform, client))
        return client

    yield open_
    for platform, client in opened:
        client.__exit__(None, None, None)
        platform.close()


@BOTH
def test_rotation_moves_text_json_and_checkpoints_to_the_new_key_and_the_old_key_is_no_longer_needed(
        platform: Platform, client: TestClient, settings: Settings, reopened: Any) -> None:
    laura = auth_headers(client, LAURA)
    chat = client.post("/v1/chat/threads/rot-1/messages", headers=laura,
                       json={"message": "quiero hablar con una persona, mi cédula es 1020345678"})
    assert chat.status_code == 200, chat.text
    idem = {**laura, "Idempotency-Key": "rot-order-1"}
    body = {"lines": [{"sku": "CAF-002", "quantity": 1}], "warehouse": "BOG"}
    order = client.post("/v1/orders", json=body, headers=idem)
    assert order.status_code == 201, order.text
    form, raw = add_payment_documents(platform, order.json())
    old = platform.key_ring.active_key_id  # type: ignore[union-attr]
    before = stored_key_ids(settings, platform.engine)
    for name in ("buyers.name", "sellers.contact_email", "idempotency_keys.response", "payments.checkout_form",
                 "payment_notifications.raw"):
        assert before[name].get(old, 0) > 0, name
    checkpoint_names = [n for n in before if n.startswith("checkpoints:")]
    assert len(checkpoint_names) == 2 and all(before[n].get(old, 0) > 0 for n in checkpoint_names), before

    report = rotate(settings, platform.engine, KeyRing(settings), batch=3)

    assert report.new_key != old and old in report.old_keys and report.left_on_old_keys == 0
    assert report.left_by_store["database"] and report.left_by_store["checkpoints"]
    assert all(n == 0 for counts in report.left_by_store.values() for n in counts.values())
    after = stored_key_ids(settings, platform.engine)
    assert set(after) == set(before)
    for name, keys in after.items():  # every value on the new key, none lost
        assert keys == {report.new_key: sum(before[name].values())}, name
        assert report.reencrypted[name] >= before[name].get(old, 0), name
    assert left_on_old_keys(platform.engine, KeyRing(settings)) == 0

    # The old key leaves the ring: a fresh process reads everything with the new one alone.
    without_key(settings, old)
    fresh = reopened()
    assert fresh.get("/v1/me/data", headers=laura).json()["buyer"]["cedula"] == "1020345678"
    replay = fresh.post("/v1/orders", json=body, headers=idem)
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == order.json()["id"]
    thread = fresh.get("/v1/chat/threads/rot-1", headers=laura)
    assert thread.status_code == 200 and thread.json()["messages"][0]["text"].endswith("1020345678")
    again = fresh.post("/v1/chat/threads/rot-1/messages", headers=laura, json={"message": "gracias"})
    assert again.status_code == 200, again.text
    reader = fresh.app.state.platform  # type: ignore[attr-defined]
    with reader.session_factory() as session:
        assert session.get(Payment, f"PAY-{order.json()['id']}-R").checkout_form == form
        assert session.scalars(select(PaymentNotification.raw).where(
            PaymentNotification.payment_id == f"PAY-{order.json()['id']}-R")).one() == raw
        assert session.get(Seller, "SEL-CAFE").contact_email == "ventas@cafeorigen.example.co"


@BOTH
def test_rotation_under_load_fails_no_request_and_leaves_nothing_on_the_old_key(
        platform: Platform, client: TestClient, settings: Settings) -> None:
    laura = auth_headers(client, LAURA)
    old = platform.key_ring.active_key_id  # type: ignore[union-attr]
    assert client.post("/v1/chat/threads/load/messages", headers=laura, json={"message": "hola"}).status_code == 200
    errors: list[str] = []
    orders: dict[str, str] = {}  # idempotency key → order id
    turns = [1]
    addresses: list[str] = []
    stop = threading.Event()
    body = {"lines": [{"sku": "CAF-002", "quantity": 1}], "warehouse": "BOG"}

    def check(response: Any, status: int, what: str) -> Any:
        if response.status_code != status:
            errors.append(f"{what}: {response.status_code} {response.text[:200]}")
        return response

    def traffic() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            key = f"load-{n // 3}"  # each key placed once, then replayed twice (the stored response is read)
            placed = check(client.post("/v1/orders", json=body, headers={**laura, "Idempotency-Key": key}), 201,
                           f"order {key}")
            if placed.status_code == 201:
                if key in orders and placed.json()["id"] != orders[key]:
                    errors.append(f"{key} replayed another order")
                orders[key] = placed.json()["id"]
                check(client.get(f"/v1/orders/{orders[key]}", headers=laura), 200, "read order")
            address = f"Calle {n} # 1-2"
            if check(client.patch("/v1/me", json={"address": address}, headers=laura), 200, "patch").status_code == 200:
                addresses.append(address)
            check(client.get("/v1/me/data", headers=laura), 200, "export")
            if n % 2 == 0:
                if check(client.post("/v1/chat/threads/load/messages", headers=laura,
                                     json={"message": f"¿dónde está mi pedido {orders.get(key, '')}?"}),
                         200, "chat").status_code == 200:
                    turns[0] += 1
                check(client.get("/v1/chat/threads/load", headers=laura), 200, "thread")

    worker = threading.Thread(target=traffic)
    worker.start()
    try:
        # Another process's ring: the serving one learns the new key from the file.
        report = rotate(settings, platform.engine, KeyRing(settings), batch=4, pause_s=0.01)
        tail = left_on_old_keys(platform.engine, KeyRing(settings))  # traffic still running: written on the new key
    finally:
        stop.set()
        worker.join()
    assert errors == [], errors[:5]
    assert len(orders) >= 2 and turns[0] >= 2, (orders, turns)
    assert report.new_key != old and report.left_on_old_keys == 0 and tail == 0
    assert left_on_old_keys(platform.engine, KeyRing(settings)) == 0
    found = stored_key_ids(settings, platform.engine)
    assert all(set(keys) == {report.new_key} for keys in found.values()), found
    # Every value reads back: each idempotent key replays its own order, the thread holds every turn.
    for key, order_id in orders.items():
        replay = client.post("/v1/orders", json=body, headers={**laura, "Idempotency-Key": key})
        assert replay.status_code == 201 and replay.json()["id"] == order_id
    messages = client.get("/v1/chat/threads/load", headers=laura).json()["messages"]
    assert sum(1 for m in messages if m["role"] == "user") == turns[0], messages[:3]
    assert client.get("/v1/me/data", headers=laura).json()["buyer"]["address"] == addresses[-1]


@BOTH
def test_a_value_written_during_a_batch_is_not_overwritten_with_the_stale_one(
        platform: Platform, client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    laura = auth_headers(client, LAURA)
    assert client.post("/v1/chat/threads/cas/messages", headers=laura, json={"message": "hola"}).status_code == 200
    add_active_key(settings)
    ring = KeyRing(settings)  # the rotation's ring
    writer_serde = checkpoint_serializer(KeyRing(settings))  # a serving process's
    buyers = Base.metadata.tables["buyers"]

    # A text column: while the batch computes its ciphertexts, the application corrects every address.
    def write_addresses() -> None:
        with platform.session_factory() as session:
            for buyer in session.scalars(select(Buyer)):
                buyer.address = f"Nueva {buyer.id}"
            session.commit()

    real_encrypt = ring.encrypt
    calls = [0]

    def encrypt_while_written(plaintext: str, *, context: str) -> str:
        calls[0] += 1
        if calls[0] == 1:  # after the batch read, before it writes
            write_addresses()
        return real_encrypt(plaintext, context=context)

    monkeypatch.setattr(ring, "encrypt", encrypt_while_written)
    read, replaced = reencrypt_batch(platform.engine, ring, buyers, "address", "buyers.address", 1000)
    assert read >= 3 and replaced == 0  # every row changed after it was read: none swapped
    monkeypatch.undo()
    with platform.session_factory() as session:
        assert {b.id: b.address for b in session.scalars(select(Buyer))} == {
            b: f"Nueva {b}" for b in session.scalars(select(Buyer.id))}

    # A checkpoint table: the serving process rewrites every value while the batch runs.
    store, tables = checkpoint_engine(settings, platform.engine)
    table = tables[1]  # writes / checkpoint_writes
    key = ", ".join(table.key)
    with store.connect() as conn:
        rows = conn.execute(text(f"SELECT {key} FROM {table.name} WHERE {table.value} IS NOT NULL")).all()
    assert rows

    def write_checkpoints() -> None:
        match = " AND ".join(f"{c} = :{c}" for c in table.key)
        with store.begin() as conn:
            for i, row in enumerate(rows):
                type_, blob = writer_serde.dumps_typed(f"concurrente {i}")
                conn.execute(text(f"UPDATE {table.name} SET type = :t, {table.value} = :b WHERE {match}"),
                             {"t": type_, "b": blob, **dict(zip(table.key, row, strict=True))})

    real_bytes = ring.encrypt_bytes
    byte_calls = [0]

    def encrypt_bytes_while_written(data: bytes, *, context: str) -> tuple[str, bytes]:
        byte_calls[0] += 1
        if byte_calls[0] == 1:
            write_checkpoints()
        return real_bytes(data, context=context)

    monkeypatch.setattr(ring, "encrypt_bytes", encrypt_bytes_while_written)
    read, replaced = reencrypt_checkpoint_batch(store, ring, table, 1000)
    assert read == len(rows) and replaced == 0
    monkeypatch.undo()
    with store.connect() as conn:
        stored = conn.execute(text(f"SELECT {key}, type, {table.value} FROM {table.name} "
                                   f"WHERE {table.value} IS NOT NULL")).all()
    by_key = {tuple(r[:len(table.key)]): writer_serde.loads_typed((r[-2], bytes(r[-1]))) for r in stored}
    assert sorted(by_key[tuple(row)] for row in rows) == sorted(f"concurrente {i}" for i in range(len(rows)))
    if store is not platform.engine:
        store.dispose()
    # And the next pass finishes the job: nothing left on the old key, everything reads.
    rotate(settings, platform.engine, ring, new_key=False)
    left = left_by_store(platform.engine, ring, settings)
    assert left["database"]["buyers.address"] == 0 and left["checkpoints"][table.name] == 0
    assert all(n == 0 for counts in left.values() for n in counts.values()), left
    assert left_on_old_keys(platform.engine, ring, settings) == 0
    assert client.get("/v1/me/data", headers=laura).json()["buyer"]["address"] == "Nueva BUY-001"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_keys_status_counts_each_store_and_rotate_empties_them(platform: Platform, client: TestClient,
                                                               settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    from api.cli import main

    laura = auth_headers(client, LAURA)
    assert client.post("/v1/chat/threads/cli/messages", headers=laura, json={"message": "hola"}).status_code == 200
    assert client.post("/v1/orders", json={"lines": [{"sku": "CAF-002", "quantity": 1}]},
                       headers={**laura, "Idempotency-Key": "cli-1"}).status_code == 201
    monkeypatch.setenv("MESTOCKER_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MESTOCKER_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("MESTOCKER_ENCRYPTION_KEY_FILE", str(key_file(settings)))
    monkeypatch.setenv("MESTOCKER_PROFILE", "embedded")
    add_active_key(settings)  # a new active key, nothing re-encrypted yet
    expected = left_by_store(platform.engine, KeyRing(settings), settings)
    assert sum(expected["checkpoints"].values()) > 0 and expected["database"]["idempotency_keys.response"] > 0

    assert main(["keys", "status"]) == 0
    out = capsys.readouterr().out
    total = sum(n for counts in expected.values() for n in counts.values())
    assert f"valores fuera de la clave activa: {total}" in out
    assert f"base de datos: {sum(expected['database'].values())} (" in out
    assert f"conversaciones (checkpoints): {sum(expected['checkpoints'].values())} (" in out
    assert f"idempotency_keys.response: {expected['database']['idempotency_keys.response']}" in out

    assert main(["keys", "rotate", "--reencrypt-only", "--batch", "7"]) == 0
    assert "quedan en claves antiguas: 0" in capsys.readouterr().out
    assert main(["keys", "status"]) == 0
    out = capsys.readouterr().out
    assert "valores fuera de la clave activa: 0" in out and "conversaciones (checkpoints): 0" in out
