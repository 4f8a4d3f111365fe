"""DELETE /v1/me leaves no trace of the person in any store, while the server keeps running.

The search reads the bytes of every file under the data dir (database, its write-ahead log and
shared memory, the checkpoint store and its WAL, the Chroma store) and the captured logs, for
the person's cédula, phone, email, name and address in the forms a store may hold them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from commerce.marketplace.models import Payment, PaymentNotification
from commerce.shared.idempotency import IdempotencyRecord
from infra.bootstrap import Platform
from tests.conftest import auth_headers

LAURA = "laura.gomez@example.co"
ANDRES = "andres.restrepo@example.co"
LEDGER = ("SELECT sku, warehouse, sum(on_hand_delta), sum(reserved_delta), count(*) FROM stock_movements "
          "GROUP BY sku, warehouse ORDER BY sku, warehouse")
CEDULA, PHONE, NAME, ADDRESS = "1020345678", "310 555 0101", "Laura Gómez", "Calle 80 # 12-34"


def needles() -> list[bytes]:
    forms = [CEDULA, "1.020.345.678", PHONE, "3105550101", "573105550101", LAURA, NAME, ADDRESS]
    found = [form.encode() for form in forms]
    found += [NAME.encode("unicode_escape").replace(b"\\xf3", b"\\u00f3"), NAME.encode("utf-16-le"),
              CEDULA.encode("utf-16-le")]
    return found


def traces(folder: Path) -> dict[str, list[bytes]]:
    """File → the needles its bytes contain."""
    hits: dict[str, list[bytes]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        found = [n for n in needles() if n in data]
        if found:
            hits[str(path.relative_to(folder))] = found
    return hits


def _rows(platform: Platform, sql: str) -> list[tuple[object, ...]]:
    with platform.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql))]


@pytest.fixture
def vector_note(settings: object) -> Iterator[None]:
    """A document about Laura in the Chroma store (as a support note indexed for search would be)."""
    from knowledge import open_client

    client = open_client(path=settings.chroma_path)  # type: ignore[attr-defined]
    notes = client.get_or_create_collection("support-notes", embedding_function=None)
    notes.add(ids=["n1", "n2"], embeddings=[[0.1, 0.2, 0.3], [0.3, 0.2, 0.1]],  # type: ignore[arg-type]
              documents=[f"Nota: {NAME}, cédula {CEDULA}, pidió cambio de dirección",
                         "Nota general: el café de Huila se agotó en Bogotá"])
    yield


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_delete_me_leaves_no_trace(client: TestClient, settings: object, vector_note: None,
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
    database = Path(platform.settings.database_url.removeprefix("sqlite:///"))
    at_rest = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    assert LAURA.encode() not in at_rest and b"573105550101" not in at_rest and NAME.encode() not in at_rest
    assert traces(settings.data_dir)  # type: ignore[attr-defined]

    erased = client.delete("/v1/me", headers=laura)

    assert erased.status_code == 200, erased.text
    body = erased.json()
    assert body["account_closed"] and body["conversations_deleted"] == 1 and body["support_tickets_deleted"] == 1
    assert body["idempotent_responses_deleted"] >= 2 and body["vector_documents_deleted"] == 1
    assert body["orders_kept_anonymised"] == len(orders)
    # Still serving, the search finds nothing of her anywhere.
    assert traces(settings.data_dir) == {}  # type: ignore[attr-defined]
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
