"""Per-user channel state: phone matching, last channel used and the WhatsApp service window."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from commerce.identity.channels import (
    WEB,
    WHATSAPP,
    ChannelSession,
    find_user_by_phone,
    last_used_channel,
    normalize_phone,
    record_channel_use,
    whatsapp_window_open,
)
from commerce.identity.models import User
from commerce.shared.clock import utcnow
from infra.bootstrap import Platform
from tests.channels.conftest import user_by_email


def test_normalize_phone() -> None:
    assert normalize_phone("+57 310 555 0101") == "573105550101"
    assert normalize_phone("3105550101") == "573105550101"
    assert normalize_phone("573105550101") == "573105550101"
    assert normalize_phone("+1 (415) 555-0100") == "14155550100"


def test_find_user_by_phone_in_any_format(platform: Platform) -> None:
    laura = user_by_email(platform, "laura.gomez@example.co")
    with platform.session_factory() as session:
        for raw in ("573105550101", "3105550101", "+57 310 555 0101"):
            found = find_user_by_phone(session, raw)
            assert found is not None and found.id == laura.id
        assert find_user_by_phone(session, "573009999999") is None
        assert find_user_by_phone(session, "0101") is None


def test_a_number_shared_by_two_users_is_not_guessed(platform: Platform) -> None:
    with platform.session_factory() as session:
        andres = session.scalar(select(User).where(User.email == "andres.restrepo@example.co"))
        assert andres is not None
        andres.phone = "310 555 0101"  # now the same mobile as Laura's
        session.commit()
        assert find_user_by_phone(session, "573105550101") is None


def test_record_channel_use_upserts_and_picks_the_last_channel(platform: Platform) -> None:
    laura = user_by_email(platform, "laura.gomez@example.co")
    now = utcnow()
    with platform.session_factory() as session:
        record_channel_use(session, laura.id, WHATSAPP, now - timedelta(hours=2), address="573105550101")
        record_channel_use(session, laura.id, WHATSAPP, now - timedelta(hours=1))
        record_channel_use(session, laura.id, WHATSAPP, now - timedelta(hours=3))  # late, older: ignored
        session.commit()
        rows = session.scalars(select(ChannelSession).where(ChannelSession.user_id == laura.id)).all()
        assert len(rows) == 1 and rows[0].address == "573105550101"
        assert rows[0].last_inbound_at == now - timedelta(hours=1)
        last = last_used_channel(session, [laura.id])
        assert last is not None and last.channel == WHATSAPP and whatsapp_window_open(last, now)
        assert not whatsapp_window_open(last, now + timedelta(hours=24))

        record_channel_use(session, laura.id, WEB, now)
        session.commit()
        last = last_used_channel(session, [laura.id])
        assert last is not None and last.channel == WEB and not whatsapp_window_open(last, now)
