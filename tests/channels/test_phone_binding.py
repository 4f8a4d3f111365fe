"""Binding a WhatsApp number to an account with a one-time code: never on what the user types."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from commerce.identity.models import User
from commerce.identity.phone_binding import (
    CODE_SENT,
    EXPIRED_CODE,
    TOO_MANY_FAILURES,
    USED_CODE,
    WRONG_CODE,
    PhoneLinkCode,
    VerifiedPhone,
)
from commerce.notifications import AccountNotification
from commerce.shared.clock import utcnow
from infra.bootstrap import Platform
from infra.channels.delivery import deliver_pending
from tests.channels.conftest import LAURA_WA, FakeChat, RecordingWebPush, post_signed, text_payload, user_by_email
from tests.channels.fake_graph import FakeGraphAPI
from tests.conftest import auth_headers

NEW_WA = "573001112233"  # a number no account has verified
OTHER_WA = "573004445566"
MAFE = "mafe.diaz@example.co"
ANDRES = "andres.restrepo@example.co"
ADMIN = "admin@mestocker.example.co"
SIX_DIGITS = re.compile(r"\b(\d{6})\b")


class Sender:
    """Messages from one WhatsApp number, each with a fresh message id; returns the reply text."""

    count = 0

    def __init__(self, wa: TestClient, graph: FakeGraphAPI, wa_id: str) -> None:
        self.wa, self.graph, self.wa_id = wa, graph, wa_id

    def say(self, text: str) -> str:
        Sender.count += 1
        before = len(self.graph.sent())
        response = post_signed(self.wa, text_payload(self.wa_id, text, message_id=f"wamid.bind-{Sender.count}"))
        assert response.status_code == 200 and response.json()["accepted"] == 1
        sent = self.graph.sent()[before:]
        assert len(sent) == 1 and sent[0]["to"] == self.wa_id
        body: str = sent[0]["text"]["body"]
        return body


def delivered_code(platform: Platform, email: str) -> str:
    """Run notification delivery; the code as the account's web chat received it."""
    push = RecordingWebPush()
    deliver_pending(platform.session_factory, whatsapp_client=None, web_push=push)
    user_id = user_by_email(platform, email).id
    notices = [payload["text"] for uid, payload in push.published if payload.get("kind") == "account"]
    assert notices and all(uid == user_id for uid, payload in push.published if payload.get("kind") == "account")
    found = SIX_DIGITS.search(notices[-1])
    assert found, notices[-1]
    return found.group(1)


def bound_to(platform: Platform, wa_id: str) -> str | None:
    """The email of the account the number is verified for, or None."""
    with platform.read_session_factory() as session:
        return session.scalar(select(User.email).join(VerifiedPhone, VerifiedPhone.user_id == User.id)
                              .where(VerifiedPhone.phone == wa_id))


def test_an_unknown_number_gets_the_instructions_and_no_chat(wa: TestClient, chat: FakeChat,
                                                             fake_graph: FakeGraphAPI) -> None:
    reply = Sender(wa, fake_graph, NEW_WA).say("hola, soy Mafe, muéstrame mis pedidos")
    assert "no está registrado" in reply and "correo" in reply and "código de vinculación" in reply
    assert chat.calls == []


def test_a_code_sent_to_the_accounts_web_chat_binds_the_number(wa: TestClient, chat: FakeChat, platform: Platform,
                                                               fake_graph: FakeGraphAPI) -> None:
    sender = Sender(wa, fake_graph, NEW_WA)
    assert sender.say(f"Hola, mi correo es {MAFE.upper()}") == CODE_SENT
    code = delivered_code(platform, MAFE)
    assert all(code not in m["text"]["body"] for m in fake_graph.sent())  # never sent to the number that asked
    wrong = "111111" if code != "111111" else "222222"
    assert sender.say(wrong) == WRONG_CODE
    assert bound_to(platform, NEW_WA) is None and chat.calls == []
    linked = sender.say(f"{code[:3]} {code[3:]}")
    assert "quedó vinculado" in linked and "m***@example.co" in linked
    assert bound_to(platform, NEW_WA) == MAFE
    # From now on the number acts as Mafe, in her WhatsApp thread.
    sender.say("¿dónde está mi pedido?")
    [call] = chat.calls
    assert call["principal"].email == MAFE and call["channel"] == "whatsapp"
    assert call["thread_id"] == f"wa:{call['principal'].user_id}"
    # The notice no longer shows the code.
    with platform.session_factory() as session:
        texts = session.scalars(select(AccountNotification.text)).all()
    assert texts and all(code not in text for text in texts)


def test_a_code_works_only_from_the_number_that_asked(wa: TestClient, platform: Platform,
                                                      fake_graph: FakeGraphAPI) -> None:
    asker, other = Sender(wa, fake_graph, NEW_WA), Sender(wa, fake_graph, OTHER_WA)
    asker.say(MAFE)
    code = delivered_code(platform, MAFE)
    assert other.say(code) == WRONG_CODE
    assert bound_to(platform, OTHER_WA) is None
    assert "quedó vinculado" in asker.say(code)


def test_an_expired_code_is_refused(wa: TestClient, platform: Platform, fake_graph: FakeGraphAPI) -> None:
    sender = Sender(wa, fake_graph, NEW_WA)
    sender.say(MAFE)
    code = delivered_code(platform, MAFE)
    with platform.session_factory() as session:
        session.execute(update(PhoneLinkCode).values(expires_at=utcnow() - timedelta(seconds=1)))
        session.commit()
    assert sender.say(code) == EXPIRED_CODE
    assert bound_to(platform, NEW_WA) is None


def test_guessing_is_cut_off_after_five_wrong_codes(wa: TestClient, platform: Platform,
                                                    fake_graph: FakeGraphAPI) -> None:
    sender = Sender(wa, fake_graph, NEW_WA)
    sender.say(MAFE)
    code = delivered_code(platform, MAFE)
    wrong = [c for c in ("111111", "222222", "333333", "444444", "555555", "666666") if c != code][:5]
    assert [sender.say(c) for c in wrong] == [WRONG_CODE] * 5
    assert sender.say(code) == TOO_MANY_FAILURES  # even the right one, for the next hour
    assert bound_to(platform, NEW_WA) is None


def test_the_reply_does_not_say_which_accounts_exist(wa: TestClient, platform: Platform,
                                                     fake_graph: FakeGraphAPI) -> None:
    replies = {email: Sender(wa, fake_graph, wa_id).say(email) for email, wa_id in (
        ("nadie@example.co", "573001110001"), (ADMIN, "573001110002"), (ANDRES, "573001110003"))}
    assert set(replies.values()) == {CODE_SENT}
    with platform.session_factory() as session:
        notified = session.scalars(select(AccountNotification.user_id)).all()
    assert notified == [user_by_email(platform, ANDRES).id]  # no code for unknown or staff accounts


def test_code_requests_are_limited_per_number(wa: TestClient, platform: Platform, fake_graph: FakeGraphAPI) -> None:
    sender = Sender(wa, fake_graph, NEW_WA)
    assert [sender.say(MAFE) for _ in range(3)] == [CODE_SENT] * 3
    assert "Espera una hora" in sender.say(MAFE)
    with platform.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(AccountNotification)) == 3


def test_a_web_link_code_binds_the_number_once(wa: TestClient, chat: FakeChat,
                                               platform: Platform, fake_graph: FakeGraphAPI) -> None:
    response = wa.post("/v1/me/whatsapp/link-code", headers=auth_headers(wa, ANDRES))
    assert response.status_code == 201, response.text
    code = response.json()["code"]
    assert re.fullmatch(r"MS-[A-Z2-9]{4}-[A-Z2-9]{4}", code) and response.json()["expires_in"] == 600
    sender = Sender(wa, fake_graph, NEW_WA)
    assert "quedó vinculado" in sender.say(f"mi código es {code.lower()}")
    sender.say("mis pedidos")
    assert chat.calls[-1]["principal"].email == ANDRES
    # Used once: another number sending it gets nothing.
    assert Sender(wa, fake_graph, OTHER_WA).say(code) == USED_CODE
    assert bound_to(platform, OTHER_WA) is None


def test_staff_get_no_web_link_code(wa: TestClient) -> None:
    response = wa.post("/v1/me/whatsapp/link-code", headers=auth_headers(wa, ADMIN))
    assert response.status_code == 403
    assert "segundo factor" in response.json()["detail"]


def test_seeded_demo_phones_count_as_verified(wa: TestClient, chat: FakeChat, fake_graph: FakeGraphAPI) -> None:
    Sender(wa, fake_graph, LAURA_WA).say("hola")
    assert chat.calls[-1]["principal"].email == "laura.gomez@example.co"
