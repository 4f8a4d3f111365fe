"""DELETE /v1/me leaves no trace of the person in any store, while the server keeps running.

The search reads the bytes of every file under the data dir (database, its write-ahead log and
shared memory, the checkpoint store and its WAL, the Chroma store) and the captured logs, for
the person's cédula, phone, email, name and address in the forms a store may hold them.

On PostgreSQL (the production profile) it also reads the whole cluster of the throwaway server
(tests/services.py): every relation file of every database, pg_wal, pg_xact, the statistics, and
the server's log; the vector store is then a Chroma server (`chroma run`), whose persist directory
(its SQLite log `embeddings_queue` included) and log are searched too.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from commerce.marketplace.models import Payment, PaymentNotification
from commerce.shared.idempotency import IdempotencyRecord
from infra.bootstrap import Platform
from infra.settings import Settings
from tests.conftest import auth_headers, make_settings, seed_into, seeded_database
from tests.services import SERVER_DIRS, _serve, run_postgres

LAURA = "laura.gomez@example.co"
ANDRES = "andres.restrepo@example.co"
LEDGER = ("SELECT sku, warehouse, sum(on_hand_delta), sum(reserved_delta), count(*) FROM stock_movements "
          "GROUP BY sku, warehouse ORDER BY sku, warehouse")
CEDULA, PHONE, NAME, ADDRESS = "1020345678", "310 555 0101", "Laura Gómez", "Calle 80 # 12-34"


# Chroma keeps each add, document included, in its log (`embeddings_queue`) until the collection's vector
# index persists, every `sync_threshold` records (default 1000): a server collection that may hold personal
# data needs a small one, or a deleted document stays in the log (docs/data-protection.md).
PERSONAL_COLLECTION = {"hnsw": {"sync_threshold": 2, "batch_size": 2}}


def chroma_vacuum(persist_directory: Path) -> None:
    """The operator's step after an erasure on a Chroma server: prune its log and rebuild its SQLite file
    without free pages (`chroma vacuum`, safe while the server serves). The application cannot do it: the
    server's disk is not ours (the embedded store is scrubbed by the erasure itself, infra/erasure_storage.py)."""
    chroma = Path(sys.executable).parent / "chroma"
    subprocess.run([str(chroma if chroma.exists() else "chroma"), "vacuum", "--path", str(persist_directory),
                    "--force"], check=True, capture_output=True, timeout=120)


def needles() -> list[bytes]:
    forms = [CEDULA, "1.020.345.678", PHONE, "3105550101", "573105550101", LAURA, NAME, ADDRESS]
    found = [form.encode() for form in forms]
    found += [NAME.encode("unicode_escape").replace(b"\\xf3", b"\\u00f3"), NAME.encode("utf-16-le"),
              CEDULA.encode("utf-16-le")]
    return found


def traces(*folders: Path) -> dict[str, list[bytes]]:
    """File → the needles its bytes contain."""
    hits: dict[str, list[bytes]] = {}
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            data = path.read_bytes()
            found = [n for n in needles() if n in data]
            if found:
                hits[str(path)] = found
    return hits


def store_folders(platform: Platform) -> list[Path]:
    """Every folder a store of this platform writes to: the data dir, and on PostgreSQL the server's
    folder (data directory with pg_wal, and its log) and the Chroma server's (persist directory, log)."""
    settings = platform.settings
    folders = [settings.data_dir]
    if not settings.is_sqlite:
        data_directory = str(_rows(platform, "SHOW data_directory")[0][0])
        folders.append(Path(data_directory).parent)  # data/ and postgres.log (tests/services.py)
        folders.append(SERVER_DIRS[settings.chroma_url])  # data/ and chroma.log
    return folders


def database_bytes(platform: Platform) -> bytes:
    """The bytes of the database's files: the SQLite file and its WAL, or the PostgreSQL cluster's files."""
    settings = platform.settings
    if settings.is_sqlite:
        database = Path(settings.database_url.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    data_directory = Path(str(_rows(platform, "SHOW data_directory")[0][0]))
    return b"".join(p.read_bytes() for p in data_directory.rglob("*") if p.is_file())


def _rows(platform: Platform, sql: str) -> list[tuple[object, ...]]:
    with platform.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql))]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A seeded database; on PostgreSQL in a cluster of its own. The search reads every file of the cluster,
    and the shared test cluster holds other tests' databases, some with clear values on purpose (migrations
    that start from clear rows, the rotation of values still in clear)."""
    if request.param == "sqlite":
        yield from seeded_database(request, tmp_path)
        return
    for url in _serve("postgres", run_postgres):
        seed_into(make_settings(tmp_path / "seed", url))
        yield url


@pytest.fixture
def settings(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """Embedded Chroma beside SQLite; the Chroma server (`chroma run`) beside PostgreSQL, as in production."""
    if database_url.startswith("sqlite"):
        return make_settings(tmp_path, database_url)
    return make_settings(tmp_path, database_url, chroma_mode="http", chroma_url=request.getfixturevalue("chroma_url"))


@pytest.fixture
def vector_note(settings: Settings) -> Iterator[None]:
    """A document about Laura in the Chroma store (as a support note indexed for search would be)."""
    from knowledge import open_client

    if settings.is_sqlite:
        notes = open_client(path=settings.chroma_path).get_or_create_collection("support-notes",
                                                                                embedding_function=None)
    else:  # a server collection meant to hold personal data persists its index (and prunes its log) every 2 writes
        notes = open_client(url=settings.chroma_url).get_or_create_collection(
            "support-notes", embedding_function=None, configuration=PERSONAL_COLLECTION)  # type: ignore[arg-type]
    notes.add(ids=["n1", "n2"], embeddings=[[0.1, 0.2, 0.3], [0.3, 0.2, 0.1]],  # type: ignore[arg-type]
              documents=[f"Nota: {NAME}, cédula {CEDULA}, pidió cambio de dirección",
                         "Nota general: el café de Huila se agotó en Bogotá"])
    yield


@pytest.mark.parametrize("database_url", ["sqlite", pytest.param("postgres", marks=[pytest.mark.postgres,
                                                                                   pytest.mark.chroma])],
                         indirect=True)
def test_delete_me_leaves_no_trace(client: TestClient, settings: Settings, vector_note: None,
                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    platform: Platform = client.app.state.platform  # type: ignore[attr-defined]
    laura = auth_headers(client, LAURA)
    # The person's data reaches every store: a conversation, a ticket (its stored idempotent
    # response quotes her words), an idempotent order, a notification, a channel session.
    chat = client.post("/v1/chat/threads/t-1/messages", headers=laura,
                       json={"message": f"quiero hablar con una persona, soy {NAME}, cédula {CEDULA}, "
                                        f"celular {PHONE}, vivo en {ADDRESS}"})
    assert chat.status_code == 200, chat.text
    assert [c["name"] for c in chat.json()["tool_calls"]] == ["escalate_to_human"]
    placed = client.post("/v1/orders", json={"lines": [{"sku": "CAF-002", "quantity": 1}]},
                         headers={**laura, "Idempotency-Key": "k-1"})
    assert placed.status_code == 201, placed.text
    platform.relay.drain()
    with platform.read_uow() as uow:  # decrypted by the ORM: the column itself is encrypted
        stored = [r.response for r in uow.session.scalars(select(IdempotencyRecord))]
    assert any(CEDULA in str(r) for r in stored), "the ticket's stored response quotes the cédula"
    assert int(str(_rows(platform, "SELECT count(*) FROM buyer_notifications WHERE buyer_id = 'BUY-001'")[0][0])) >= 1
    others = _rows(platform, "SELECT * FROM buyers WHERE id != 'BUY-001' ORDER BY id")
    ledger = _rows(platform, LEDGER)
    orders = _rows(platform, "SELECT id, total_cop, status FROM orders WHERE buyer_id = 'BUY-001' ORDER BY id")
    andres = auth_headers(client, ANDRES)
    client.post("/v1/chat/threads/a-1/messages", headers=andres, json={"message": "¿dónde está mi pedido 1002?"})
    # A gateway's documents quote the payer: a PayU checkout form and a raw confirmation (as stored).
    order_id = placed.json()["id"]
    with platform.session_factory() as session:
        session.add(Payment(id=f"PAY-{order_id}-T", order_id=order_id, gateway="payu", status="pending",
                            amount_cop=placed.json()["total_cop"],
                            checkout_form={"action": "https://payu.example/checkout",
                                           "fields": {"buyerEmail": LAURA, "buyerFullName": NAME, "telephone": PHONE}}))
        session.add(PaymentNotification(gateway="payu", dedup_key="T-1:approved", payment_id=f"PAY-{order_id}-T",
                                        transaction_id="T-1", status="approved", amount_cop=placed.json()["total_cop"],
                                        outcome="applied", raw={"email_buyer": LAURA, "nickname_buyer": NAME}))
        session.commit()
    # At rest, before any erasure: her login email and her bound WhatsApp number are not in the database file.
    at_rest = database_bytes(platform)
    assert LAURA.encode() not in at_rest and b"573105550101" not in at_rest and NAME.encode() not in at_rest
    folders = store_folders(platform)
    assert traces(*folders)  # the search does find her before: the vector note at least
    if not settings.is_sqlite:
        # Not even before: the cluster's files and its WAL (every record since initdb, seed and chat included)
        # only ever held her values encrypted (a clear value written and deleted stays in pg_wal).
        assert traces(folders[1]) == {}

    erased = client.delete("/v1/me", headers=laura)

    assert erased.status_code == 200, erased.text
    body = erased.json()
    assert body["account_closed"] and body["conversations_deleted"] == 1 and body["support_tickets_deleted"] == 1
    assert body["idempotent_responses_deleted"] >= 2 and body["vector_documents_deleted"] == 1
    assert body["orders_kept_anonymised"] == len(orders)
    # Still serving, the search finds nothing of her anywhere.
    if not settings.is_sqlite:
        # The PostgreSQL cluster (every database's files, pg_wal, statistics), its log and Chroma's log hold
        # nothing of her; the Chroma server's SQLite file may still hold the deleted note's bytes in a free page
        # until the operator vacuums it.
        chroma_db = SERVER_DIRS[settings.chroma_url] / "data" / "chroma.sqlite3"
        assert set(traces(*folders)) <= {str(chroma_db)}
        # Pages changed since the last checkpoint may live only in shared buffers (the WAL has them): write
        # them to the relation files and search those again.
        with platform.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("CHECKPOINT"))
        assert set(traces(*folders)) <= {str(chroma_db)}
        chroma_vacuum(chroma_db.parent)
    assert traces(*folders) == {}
    assert not [n for n in needles() if n.decode(errors="ignore") in caplog.text]
    # Everyone else's data, the ledger and her orders (anonymised) are untouched.
    assert _rows(platform, "SELECT * FROM buyers WHERE id != 'BUY-001' ORDER BY id") == others
    assert _rows(platform, LEDGER) == ledger
    assert _rows(platform, "SELECT id, total_cop, status FROM orders WHERE buyer_id = 'BUY-001' ORDER BY id") == orders
    assert client.get("/v1/chat/threads/a-1", headers=andres).json()["messages"] != []
    # Her payment keeps its amount and status (accounting); the payer data it quoted is gone.
    with platform.read_uow() as uow:
        payment = uow.session.get(Payment, f"PAY-{order_id}-T")
        notices = list(uow.session.scalars(select(PaymentNotification.raw)
                                           .where(PaymentNotification.payment_id == f"PAY-{order_id}-T")))
        assert payment is not None and payment.checkout_form is None and payment.status == "pending"
        assert notices == [{"anonimizado": True}]
    # Her session ends at once; the platform keeps serving everyone else.
    assert client.get("/v1/orders", headers=laura).status_code == 401
    assert client.post("/v1/auth/token", data={"username": LAURA, "password": "mestocker-demo"}).status_code == 401
    assert client.get("/v1/orders", headers=andres).status_code == 200
