"""Ley 1581 rights over HTTP: export, correction, consent, requests with deadlines, the audit trail."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from commerce.identity.privacy_requests import add_business_days, is_business_day
from commerce.shared.field_crypto import email_index
from tests.conftest import auth_headers

LAURA = "laura.gomez@example.co"
ANDRES = "andres.restrepo@example.co"
ADMIN = "admin@mestocker.example.co"
SUPERUSER = "root@mestocker.example.co"


def test_export_holds_every_category_and_nothing_of_other_people(client: TestClient) -> None:
    laura = auth_headers(client, LAURA)
    assert client.post("/v1/chat/threads/x-1/messages", headers=laura,
                       json={"message": "¿dónde está mi pedido 1001?"}).status_code == 200
    client.post("/v1/chat/threads/o-1/messages", headers=auth_headers(client, ANDRES),
                json={"message": "¿dónde está mi pedido 1002?"})
    client.post("/v1/orders", json={"lines": [{"sku": "CAF-002", "quantity": 1}]}, headers=laura)
    client.app.state.platform.relay.drain()  # type: ignore[attr-defined]
    export = client.get("/v1/me/data", headers=laura)
    assert export.status_code == 200, export.text
    data = export.json()
    assert {"account", "buyer", "addresses", "orders", "consents", "conversations", "notifications",
            "support_tickets", "channel_sessions", "routing_log", "privacy_requests"} <= set(data)
    assert data["account"]["email"] == LAURA and data["buyer"]["cedula"] == "1020345678"
    assert data["addresses"] == [{"address": "Calle 80 # 12-34, Apto 502", "city": "Bogotá D.C."}]
    assert data["orders"] and {o["buyer_id"] for o in data["orders"]} == {"BUY-001"}
    assert data["consents"] and data["consents"][0]["text_hash"] and data["consents"][0]["international_transfer"]
    assert [c["thread_id"] for c in data["conversations"]] == ["x-1"]
    assert data["conversations"][0]["messages"][0] == {"role": "user", "text": "¿dónde está mi pedido 1001?"}
    assert data["notifications"] and data["routing_log"] and data["channel_sessions"][0]["channel"] == "web"
    dumped = export.text
    for other in ("andres.restrepo", "BUY-002", "1002?", "Andrés"):
        assert other not in dumped
    # The export is a consulta on record, answered at once, due in 10 business days.
    requests = client.get("/v1/privacy/requests", headers=auth_headers(client, ADMIN)).json()
    mine = [r for r in requests if r["type"] == "export"]
    assert mine and mine[0]["kind"] == "consulta" and mine[0]["status"] == "resolved"
    received = date.fromisoformat(mine[0]["received_at"][:10])
    assert date.fromisoformat(mine[0]["due_on"]) >= add_business_days(received, 9)


def test_patch_me_corrects_and_is_refused_for_bad_input(client: TestClient) -> None:
    laura = auth_headers(client, LAURA)
    fixed = client.patch("/v1/me", json={"address": "Carrera 7 # 45-10", "phone": "310 555 9999"}, headers=laura)
    assert fixed.status_code == 200 and fixed.json()["corrected"] == ["address", "phone"]
    data = client.get("/v1/me/data", headers=laura).json()
    assert data["buyer"]["address"] == "Carrera 7 # 45-10" and data["account"]["phone"] == "+573105559999"
    assert client.patch("/v1/me", json={}, headers=laura).status_code == 422
    assert client.patch("/v1/me", json={"email": ANDRES}, headers=laura).status_code == 409
    assert client.patch("/v1/me", json={"role": "admin"}, headers=laura).status_code == 422


def test_staff_reads_need_a_reason_and_are_audited_append_only(client: TestClient) -> None:
    admin, laura = auth_headers(client, ADMIN), auth_headers(client, LAURA)
    platform = client.app.state.platform  # type: ignore[attr-defined]
    with platform.engine.connect() as conn:
        laura_id = conn.execute(text("SELECT id FROM users WHERE email_index = :e"),
                                {"e": email_index(LAURA)}).scalar_one()
    assert client.get(f"/v1/privacy/subjects/{laura_id}/data", headers=admin).status_code == 422
    assert client.get(f"/v1/privacy/subjects/{laura_id}/data", headers=laura,
                      params={"reason": "curiosidad"}).status_code in (200, 403)
    read = client.get(f"/v1/privacy/subjects/{laura_id}/data", headers=admin,
                      params={"reason": "reclamo TCK-00009 sobre un envío"})
    assert read.status_code == 200 and read.json()["buyer"]["name"] == "Laura Gómez"
    other = client.get("/v1/privacy/subjects/1/data", headers=laura, params={"reason": "quiero ver"})
    assert other.status_code == 403
    assert client.get("/v1/audit", headers=admin).status_code == 403
    root = auth_headers(client, SUPERUSER)
    entries = client.get("/v1/audit", headers=root).json()
    staff_read = [e for e in entries if e["action"] == "read"]
    assert staff_read and staff_read[0]["subject_user_id"] == laura_id
    assert staff_read[0]["reason"] == "reclamo TCK-00009 sobre un envío" and staff_read[0]["actor_role"] == "admin"
    with pytest.raises(Exception, match="append-only"), platform.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET reason = 'nada'"))
    with pytest.raises(Exception, match="append-only"), platform.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log"))


def test_colombian_business_days_skip_weekends_and_holidays() -> None:
    assert not is_business_day(date(2026, 12, 8))  # Inmaculada Concepción, a Tuesday
    assert not is_business_day(date(2026, 12, 12))  # a Saturday
    # Received Friday 2026-12-04: 10 business days skip the 8th (holiday) and two weekends.
    assert add_business_days(date(2026, 12, 4), 10) == date(2026, 12, 21)
    # 15 business days from 2026-12-17 cross Christmas, New Year's Day and the Epiphany, moved to Monday 11 January.
    assert not is_business_day(date(2027, 1, 11))
    assert add_business_days(date(2026, 12, 17), 15) == date(2027, 1, 12)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_mestocker_audit_lists_the_entries(client: TestClient, settings: object, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from api.cli import main

    client.get("/v1/me/data", headers=auth_headers(client, LAURA))
    monkeypatch.setenv("MESTOCKER_DATA_DIR", str(settings.data_dir))  # type: ignore[attr-defined]
    monkeypatch.setenv("MESTOCKER_DATABASE_URL", settings.database_url)  # type: ignore[attr-defined]
    assert main(["audit", "--since", "1h", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert [e["action"] for e in lines] == ["export"] and lines[0]["reason"] == "solicitud del titular"
    assert main(["audit", "--since", "2999-01-01T00:00"]) == 0
    assert "No hay registros" in capsys.readouterr().err
