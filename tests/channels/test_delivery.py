"""Proactive notification delivery: channel choice, the 24-hour window, retries and exactly-once."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from commerce.identity.channels import WEB, WHATSAPP, record_channel_use
from commerce.notifications import BuyerNotification
from commerce.shared.clock import utcnow
from infra.bootstrap import Platform
from infra.channels.delivery import DeliveryPolicy, deliver_pending, run_delivery_loop
from infra.channels.whatsapp_client import WhatsAppClient
from tests.channels.conftest import LAURA_WA, RecordingWebPush, user_by_email
from tests.channels.fake_graph import FakeGraphAPI

pytestmark = pytest.mark.usefixtures("no_notifications")

TEXT = "Tu pedido ORD-1001 va en camino con Servientrega. Número de guía: SV123."


def add_notification(platform: Platform, *, buyer_id: str = "BUY-001", text: str = TEXT, event_id: str = "evt-1",
                     order_id: str = "ORD-1001") -> int:
    with platform.session_factory() as session:
        note = BuyerNotification(event_id=event_id, event_name="order.shipped", buyer_id=buyer_id,
                                 order_id=order_id, text=text)
        session.add(note)
        session.commit()
        return note.id


def notification(platform: Platform, notification_id: int) -> BuyerNotification:
    with platform.session_factory() as session:
        note = session.get(BuyerNotification, notification_id)
        assert note is not None
        return note


def laura_used(platform: Platform, channel: str, at: datetime) -> int:
    laura = user_by_email(platform, "laura.gomez@example.co")
    with platform.session_factory() as session:
        record_channel_use(session, laura.id, channel, at, address=LAURA_WA if channel == WHATSAPP else None)
        session.commit()
    return laura.id


def test_inside_the_window_whatsapp_gets_free_text(platform: Platform, wa_client: WhatsAppClient,
                                                   fake_graph: FakeGraphAPI) -> None:
    now = utcnow()
    laura_used(platform, WHATSAPP, now - timedelta(hours=2))
    note_id = add_notification(platform)
    report = deliver_pending(platform.session_factory, whatsapp_client=wa_client, web_push=RecordingWebPush(), now=now)
    assert report.sent == 1
    [body] = fake_graph.sent()
    assert body["to"] == LAURA_WA and body["type"] == "text" and body["text"]["body"] == TEXT
    note = notification(platform, note_id)
    assert (note.status, note.channel, note.attempts, note.sent_at) == ("sent", "whatsapp", 1, now)


def test_outside_the_window_only_the_template_goes_out(platform: Platform, wa_client: WhatsAppClient,
                                                       fake_graph: FakeGraphAPI) -> None:
    now = utcnow()
    laura_used(platform, WHATSAPP, now - timedelta(hours=30))
    note_id = add_notification(platform)
    deliver_pending(platform.session_factory, whatsapp_client=wa_client, web_push=RecordingWebPush(), now=now)
    [body] = fake_graph.sent()
    assert body["type"] == "template"
    assert body["template"]["name"] == "actualizacion_pedido"
    assert body["template"]["language"] == {"code": "es_CO"}
    assert body["template"]["components"][0]["parameters"] == [{"type": "text", "text": TEXT}]
    assert notification(platform, note_id).channel == "whatsapp-template"


def test_a_buyer_who_never_chatted_gets_the_template_on_their_phone(platform: Platform, wa_client: WhatsAppClient,
                                                                    fake_graph: FakeGraphAPI) -> None:
    add_notification(platform)
    deliver_pending(platform.session_factory, whatsapp_client=wa_client, web_push=RecordingWebPush())
    [body] = fake_graph.sent()
    assert body["to"] == LAURA_WA and body["type"] == "template"


def test_web_users_get_a_live_push(platform: Platform, wa_client: WhatsAppClient, fake_graph: FakeGraphAPI) -> None:
    now = utcnow()
    laura_used(platform, WHATSAPP, now - timedelta(hours=3))
    laura_id = laura_used(platform, WEB, now - timedelta(minutes=5))
    note_id = add_notification(platform)
    push = RecordingWebPush()
    deliver_pending(platform.session_factory, whatsapp_client=wa_client, web_push=push, now=now)
    assert push.published == [(laura_id, {"type": "notification", "text": TEXT, "order_id": "ORD-1001",
                                          "notification_id": note_id})]
    assert fake_graph.requests == []
    assert notification(platform, note_id).channel == WEB


def test_without_whatsapp_configured_the_web_push_is_used(platform: Platform) -> None:
    laura_id = laura_used(platform, WHATSAPP, utcnow() - timedelta(hours=1))
    add_notification(platform)
    push = RecordingWebPush()
    deliver_pending(platform.session_factory, whatsapp_client=None, web_push=push)
    assert [user for user, _ in push.published] == [laura_id]


def test_a_failed_send_is_retried_with_backoff_then_sent_once(platform: Platform, wa_client: WhatsAppClient,
                                                              fake_graph: FakeGraphAPI) -> None:
    now = utcnow()
    laura_used(platform, WHATSAPP, now - timedelta(minutes=10))
    note_id = add_notification(platform)
    fake_graph.fail_next(2, status=503)
    policy = DeliveryPolicy(base_delay=timedelta(seconds=30))

    def run(at: datetime) -> None:
        deliver_pending(platform.session_factory, whatsapp_client=wa_client, web_push=None, now=at, policy=policy)

    run(now)
    note = notification(platform, note_id)
    assert (note.status, note.attempts, note.next_attempt_at) == ("pending", 1, now + timedelta(seconds=30))
    assert note.last_error is not None and "503" in note.last_error
    run(now + timedelta(seconds=10))  # not due yet
    assert len(fake_graph.requests) == 1
    run(now + timedelta(seconds=31))  # second failure: the delay doubles
    note = notification(platform, note_id)
    assert (note.status, note.attempts) == ("pending", 2)
    assert note.next_attempt_at == now + timedelta(seconds=31) + timedelta(seconds=60)
    run(now + timedelta(seconds=100))
    run(now + timedelta(seconds=500))
    assert len(fake_graph.sent()) == 1 and len(fake_graph.requests) == 3
    note = notification(platform, note_id)
    assert (note.status, note.attempts, note.last_error) == ("sent", 3, None)


def test_after_max_attempts_the_notification_fails(platform: Platform) -> None:
    laura_used(platform, WEB, utcnow())
    note_id = add_notification(platform)
    push = RecordingWebPush(fail_times=10)
    policy = DeliveryPolicy(max_attempts=3, base_delay=timedelta(seconds=1))
    at = utcnow()
    for _ in range(5):
        deliver_pending(platform.session_factory, whatsapp_client=None, web_push=push, now=at, policy=policy)
        at += timedelta(minutes=5)
    note = notification(platform, note_id)
    assert (note.status, note.attempts, note.last_error) == ("failed", 3, "ConnectionError")
    assert push.fail_times == 7


def test_a_closed_window_reported_by_meta_falls_back_to_the_template(platform: Platform, wa_client: WhatsAppClient,
                                                                     fake_graph: FakeGraphAPI) -> None:
    laura_used(platform, WHATSAPP, utcnow() - timedelta(hours=1))
    add_notification(platform)
    fake_graph.fail_next(1, status=400, error_code=131047)
    report = deliver_pending(platform.session_factory, whatsapp_client=wa_client, web_push=None)
    assert report.sent == 1
    assert [r.body["type"] for r in fake_graph.requests] == ["text", "template"]


def test_a_buyer_without_a_user_is_marked_failed(platform: Platform, wa_client: WhatsAppClient) -> None:
    note_id = add_notification(platform, buyer_id="BUY-NOBODY")
    report = deliver_pending(platform.session_factory, whatsapp_client=wa_client, web_push=None)
    assert report.failed == 1 and notification(platform, note_id).status == "failed"


def test_an_abandoned_claim_is_taken_again_after_its_lease(platform: Platform) -> None:
    laura_used(platform, WEB, utcnow())
    note_id = add_notification(platform)
    now = utcnow()
    with platform.session_factory() as session:
        note = session.get(BuyerNotification, note_id)
        assert note is not None
        note.status, note.attempts, note.next_attempt_at = "sending", 1, now + timedelta(minutes=5)
        session.commit()
    push = RecordingWebPush()
    deliver_pending(platform.session_factory, whatsapp_client=None, web_push=push, now=now)
    assert push.published == []  # still leased to the (dead) deliverer
    deliver_pending(platform.session_factory, whatsapp_client=None, web_push=push, now=now + timedelta(minutes=6))
    assert len(push.published) == 1 and notification(platform, note_id).attempts == 2


def test_two_concurrent_deliverers_send_each_notification_once(platform: Platform, wa_client: WhatsAppClient,
                                                               fake_graph: FakeGraphAPI) -> None:
    now = utcnow()
    laura_used(platform, WHATSAPP, now - timedelta(minutes=1))
    ids = [add_notification(platform, text=f"Aviso {i}", event_id=f"evt-{i}") for i in range(12)]
    fake_graph.delay_seconds = 0.02  # widen the window between claim and mark-sent
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def deliverer() -> None:
        try:
            start.wait()
            deliver_pending(platform.session_factory, whatsapp_client=wa_client, web_push=None, now=now)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=deliverer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    texts = sorted(body["text"]["body"] for body in fake_graph.sent())
    assert texts == sorted(f"Aviso {i}" for i in range(12))
    with platform.session_factory() as session:
        rows = session.scalars(select(BuyerNotification).where(BuyerNotification.id.in_(ids))).all()
        assert {(row.status, row.attempts) for row in rows} == {("sent", 1)}


def test_the_delivery_loop_runs_until_stopped(platform: Platform) -> None:
    laura_used(platform, WEB, utcnow())
    add_notification(platform)
    push = RecordingWebPush()
    stop = threading.Event()
    thread = threading.Thread(target=run_delivery_loop, args=(platform.session_factory,),
                              kwargs={"whatsapp_client": None, "web_push": push, "stop": stop,
                                      "interval_seconds": 0.05})
    thread.start()
    try:
        for _ in range(100):
            if push.published:
                break
            stop.wait(0.05)
    finally:
        stop.set()
        thread.join(timeout=5)
    assert len(push.published) == 1 and not thread.is_alive()
