"""The operator console (/console) in headless Chromium against the real API: a seller and an admin."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import httpx
import pytest

from commerce.fulfillment.reorder import RunReorderCycle
from tests.conftest import DEMO_PASSWORD, totp_code
from tests.e2e.conftest import LiveSite
from tests.e2e.test_browser_chat import _css, _wait

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

pytestmark = pytest.mark.browser

SELLER = "ventas@cafeorigen.example.co"
ADMIN = "admin@mestocker.example.co"


def _token(site: LiveSite, email: str, otp: str | None = None) -> str:
    form = {"username": email, "password": DEMO_PASSWORD} | ({"otp": otp} if otp else {})
    response = httpx.post(f"{site.url}/v1/auth/token", data=form, timeout=10)
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def _chat(site: LiveSite, email: str, message: str) -> None:
    response = httpx.post(f"{site.url}/v1/chat/threads/console-1/messages", json={"message": message},
                          headers={"Authorization": f"Bearer {_token(site, email)}"}, timeout=60)
    response.raise_for_status()


def _log_in(browser: WebDriver, site: LiveSite, email: str, otp: str | None = None) -> None:
    browser.get(f"{site.url}/console")
    _wait(browser).until(lambda b: _css(b, "#login-view")[0].is_displayed())
    _css(browser, "#login-email")[0].send_keys(email)
    _css(browser, "#login-password")[0].send_keys(DEMO_PASSWORD)
    _css(browser, "#login-submit")[0].click()
    if otp is not None:
        _wait(browser).until(lambda b: _css(b, "#login-otp")[0].is_displayed())
        assert not _css(browser, "#console-view")[0].is_displayed()
        _css(browser, "#login-otp")[0].send_keys(otp)
        _css(browser, "#login-submit")[0].click()
    _wait(browser).until(lambda b: _css(b, "#console-view")[0].is_displayed())
    assert _css(browser, "#session-user")[0].text == email


def _status(site: LiveSite, proposal_id: int) -> str:
    """A proposal's status as the API reports it (a purchase proposal's is its purchase order's)."""
    response = httpx.get(f"{site.url}/v1/reorder/proposals/{proposal_id}",
                         headers={"Authorization": f"Bearer {_token(site, SELLER)}"}, timeout=10)
    response.raise_for_status()
    status: str = response.json()["status"]
    return status


def test_a_seller_sees_and_approves_proposals_but_not_the_routing_log(browser: WebDriver, site: LiveSite) -> None:
    platform = site.app.state.platform
    result = platform.bus.handle(RunReorderCycle(cycle_id="console", seller_id="SEL-CAFE"))
    mine = [p for p in result.proposals if p.purchase_order_id]
    assert mine
    _log_in(browser, site, SELLER)

    _wait(browser).until(lambda b: _css(b, "#proposals .proposal"))
    shown = {int(item.get_attribute("data-id") or 0) for item in _css(browser, "#proposals .proposal")}
    assert {p.id for p in result.proposals} <= shown
    first = _css(browser, "#proposals .proposal")[0]
    assert "Propongo" in _css(first, ".explanation")[0].text
    assert "$" in first.text
    # The routing log and the outbox are staff matters: the seller reads the API's refusal, in Spanish.
    _wait(browser).until(lambda b: _css(b, "#routing-error")[0].is_displayed())
    assert "administrador" in _css(browser, "#routing-error")[0].text
    assert not _css(browser, "#routing-chart circle.point")
    _wait(browser).until(lambda b: "MeStocker" in _css(b, "#outbox")[0].text)

    proposal_id = int(first.get_attribute("data-id") or 0)
    po = first.get_attribute("data-po") or ""
    _css(first, "button.approve")[0].click()
    _wait(browser).until(lambda b: "aprobada" in _css(b, "#proposals-status")[0].text)
    assert po in _css(browser, "#proposals-status")[0].text
    assert _status(site, proposal_id) == "approved"
    _wait(browser).until(lambda b: str(proposal_id) not in
                         {i.get_attribute("data-id") for i in _css(b, "#proposals .proposal")})


def test_the_admin_sees_routing_decisions_over_time_and_rejects_a_proposal(browser: WebDriver,
                                                                          site: LiveSite) -> None:
    platform = site.app.state.platform
    _chat(site, SELLER, "¿Cuántas unidades hay de CAF-001?")
    _chat(site, SELLER, "¿Cuáles fueron mis ventas de la semana?")
    result = platform.bus.handle(RunReorderCycle(cycle_id="console-admin"))
    (platform.settings.data_dir / "evals").mkdir(parents=True, exist_ok=True)
    (platform.settings.data_dir / "evals" / "report.json").write_text(json.dumps({
        "meta": {"model": "offline-test", "started_at": "2026-12-01T23:00:00Z"},
        "gate": {"passed": False, "failures": ["pass^1 por debajo del umbral"]},
        "splits": {"dev": {"task_success": 0.75}}}), encoding="utf-8")
    _log_in(browser, site, ADMIN, otp=totp_code(platform, ADMIN))

    _wait(browser).until(lambda b: _css(b, "#routing-chart circle.point"))
    points = _css(browser, "#routing-chart circle.point")
    assert sum(int(p.get_attribute("data-count") or 0) for p in points) >= 2
    series = {li.get_attribute("data-series") or "" for li in _css(browser, "#routing-legend li")}
    assert series and all(" → " in name for name in series)
    assert {p.get_attribute("data-series") for p in points} <= series
    rows = _css(browser, "#routing-rows tbody tr")
    assert len(rows) >= 2 and any("inventory" in r.text for r in rows)
    assert _css(browser, "#routing-error")[0].is_displayed() is False

    _wait(browser).until(lambda b: _css(b, "#outbox")[0].get_attribute("data-backlog") is not None)
    _wait(browser).until(lambda b: "NO aprobada" in _css(b, "#eval")[0].text)
    assert "75.0 %" in _css(browser, "#eval")[0].text

    sellers = {item.get_attribute("data-id") for item in _css(browser, "#proposals .proposal")}
    assert {str(p.id) for p in result.proposals} <= sellers  # staff see every seller's
    target = next(i for i in _css(browser, "#proposals .proposal")
                  if _css(i, "button.reject") and "SEL-CAFE" in i.text)
    proposal_id = int(target.get_attribute("data-id") or 0)
    _css(target, "button.reject")[0].click()
    _wait(browser).until(lambda b: "rechazada" in _css(b, "#proposals-status")[0].text)
    assert _status(site, proposal_id) == "cancelled"


def test_without_a_report_the_console_says_so(browser: WebDriver, site: LiveSite) -> None:
    _log_in(browser, site, SELLER)
    _wait(browser).until(lambda b: _css(b, "#eval-missing"))
    assert _css(browser, "#eval-missing")[0].text == "Sin reporte"
