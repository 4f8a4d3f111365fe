"""The web chat page in headless Chromium against the real API: log in, chat, confirm, receive notifications."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from api.security import decode_access_token
from tests.conftest import DEMO_PASSWORD, totp_code
from tests.e2e.conftest import LiveSite

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement

pytestmark = pytest.mark.browser

BUYER = "laura.gomez@example.co"
SELLER = "ventas@cafeorigen.example.co"
ADMIN = "admin@mestocker.example.co"
WAIT_SECONDS = 20


def _wait(browser: WebDriver, timeout: float = WAIT_SECONDS):  # type: ignore[no-untyped-def]
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout)


def _css(browser: WebDriver | WebElement, selector: str) -> list[WebElement]:
    from selenium.webdriver.common.by import By

    return browser.find_elements(By.CSS_SELECTOR, selector)


@pytest.fixture
def page(browser: WebDriver, site: LiveSite) -> WebDriver:
    browser.get(f"{site.url}/")
    _wait(browser).until(lambda b: _css(b, "#login-view")[0].is_displayed())
    return browser


def _login_with_demo_button(page: WebDriver, email: str) -> None:
    _css(page, f'.demo-account[data-email="{email}"]')[0].click()
    _wait(page).until(lambda b: _css(b, "#chat-view")[0].is_displayed())


def _finished_turns(page: WebDriver) -> list[WebElement]:
    return _css(page, "#messages .msg-bot:not(.pending)")


def _ask(page: WebDriver, message: str) -> WebElement:
    """Send `message` and return the rendered turn that answers it."""
    before = len(_finished_turns(page))
    box = _css(page, "#chat-input")[0]
    box.send_keys(message)
    _css(page, "#chat-send")[0].click()
    _wait(page).until(lambda b: len(_finished_turns(b)) > before or _css(b, "#messages .msg-error"))
    assert not _css(page, "#messages .msg-error"), _css(page, "#messages .msg-error")[0].text
    return _finished_turns(page)[-1]


def _user_messages(page: WebDriver, site: LiveSite) -> list[str]:
    """What the server recorded the user saying in the page's current thread."""
    import httpx

    token, thread_id = _session_item(page, "mestocker.token"), _session_item(page, "mestocker.thread")
    response = httpx.get(f"{site.url}/v1/chat/threads/{thread_id}", headers={"Authorization": f"Bearer {token}"},
                         timeout=10)
    response.raise_for_status()
    return [m["text"] for m in response.json()["messages"] if m["role"] == "user"]


def _session_item(page: WebDriver, key: str) -> str:
    value: str = page.execute_script("return window.sessionStorage.getItem(arguments[0]);", key)
    return value


def test_log_in_ask_for_stock_and_see_the_answer(page: WebDriver, site: LiveSite) -> None:
    _css(page, "#login-email")[0].send_keys(SELLER)
    _css(page, "#login-password")[0].send_keys(DEMO_PASSWORD)
    _css(page, "#login-submit")[0].click()
    _wait(page).until(lambda b: _css(b, "#chat-view")[0].is_displayed())
    assert _css(page, "#session-user")[0].text == SELLER

    turn = _ask(page, "¿Cuántas unidades hay de CAF-001?")

    assert _css(page, "#messages .msg-user .msg-text")[-1].text == "¿Cuántas unidades hay de CAF-001?"
    assert turn.get_attribute("data-agent") == "inventory"
    assert _css(turn, ".agent-badge")[0].text == "Inventario"
    assert _css(turn, ".reply")[0].text.strip()
    calls = _css(turn, '.tool-call[data-tool="get_stock"]')
    assert calls and calls[0].get_attribute("data-status") == "ok"
    assert "modelo:" in (_css(turn, ".routing")[0].get_attribute("textContent") or "")
    thread_id = _session_item(page, "mestocker.thread")
    assert thread_id.startswith("web-")
    assert "CAF-001" in _css(turn, ".reply")[0].text
    assert _user_messages(page, site) == ["¿Cuántas unidades hay de CAF-001?"]

    _css(page, "#new-thread")[0].click()
    assert _session_item(page, "mestocker.thread") not in (None, thread_id)
    assert not _css(page, "#messages .msg")


def test_the_admin_is_asked_for_a_second_factor(page: WebDriver, site: LiveSite) -> None:
    _css(page, f'.demo-account[data-email="{ADMIN}"]')[0].click()
    # The password was right: the page asks for the code instead of opening the chat.
    _wait(page).until(lambda b: _css(b, "#login-otp")[0].is_displayed())
    assert not _css(page, "#chat-view")[0].is_displayed()
    assert "segundo factor" in _css(page, "#login-error")[0].text
    assert _css(page, "#login-password")[0].get_attribute("value") == DEMO_PASSWORD  # kept for the retry
    assert page.switch_to.active_element == _css(page, "#login-otp")[0]
    right = totp_code(site.app.state.platform, ADMIN)
    _css(page, "#login-otp")[0].send_keys("111111" if right != "111111" else "222222")
    _css(page, "#login-submit")[0].click()
    _wait(page).until(lambda b: "incorrecto" in _css(b, "#login-error")[0].text)
    assert _css(page, "#login-otp")[0].is_displayed() and not _css(page, "#chat-view")[0].is_displayed()
    _css(page, "#login-otp")[0].send_keys(right)
    _css(page, "#login-submit")[0].click()
    _wait(page).until(lambda b: _css(b, "#chat-view")[0].is_displayed())
    assert _css(page, "#session-user")[0].text == ADMIN
    assert decode_access_token(_session_item(page, "mestocker.token"),
                               secret=site.app.state.jwt_secret).role == "admin"
    # Logging out and back in asks again (and the field starts empty).
    _css(page, "#logout")[0].click()
    _wait(page).until(lambda b: _css(b, "#login-view")[0].is_displayed())
    assert not _css(page, "#login-otp")[0].is_displayed()


def test_the_page_gives_a_whatsapp_link_code_that_binds_a_number(page: WebDriver, site: LiveSite) -> None:
    import re

    from commerce.identity.phone_binding import LinkOutcome, LinkWhatsAppNumber

    _login_with_demo_button(page, BUYER)
    _css(page, "#whatsapp-link")[0].click()
    _wait(page).until(lambda b: any("MS-" in n.text for n in _css(b, "#messages .msg-notification")))
    notice = [n.text for n in _css(page, "#messages .msg-notification") if "MS-" in n.text][-1]
    found = re.search(r"MS-[A-Z2-9]{4}-[A-Z2-9]{4}", notice)
    assert found and "WhatsApp" in notice
    assert found.group(0) not in (_session_item(page, "mestocker.log") or "")  # shown, not kept in the tab
    outcome: LinkOutcome = site.app.state.platform.bus.handle(
        LinkWhatsAppNumber(wa_id="573001112233", text=found.group(0)))
    assert outcome.principal is not None and outcome.principal.email == BUYER


def test_a_pending_action_is_refused_with_the_button(page: WebDriver, site: LiveSite) -> None:
    _login_with_demo_button(page, SELLER)

    turn = _ask(page, "Cambia el precio de CAF-001 a 42.000")

    assert _css(turn, '.tool-call[data-status="pending_confirmation"]')
    question = (_css(turn, ".confirmation-question") or _css(turn, ".reply"))[0].text
    assert "CAF-001" in question
    yes, no = _css(turn, ".confirm-yes")[0], _css(turn, ".confirm-no")[0]
    assert (yes.text, no.text) == ("Sí, confirmar", "No, cancelar")
    before = len(_finished_turns(page))
    no.click()
    _wait(page).until(lambda b: len(_finished_turns(b)) > before)
    assert _css(page, "#messages .msg-user .msg-text")[-1].text == "no"
    assert not _css(_finished_turns(page)[-1], ".confirmation")
    assert not yes.is_enabled() and not no.is_enabled()  # an answered question cannot be answered twice
    # The answer resumes the paused write (it is not a new message of the thread): the write is cancelled.
    assert _user_messages(page, site) == ["Cambia el precio de CAF-001 a 42.000"]
    assert _css(_finished_turns(page)[-1], '.tool-call[data-status="cancelled"]')


def test_the_page_falls_back_to_the_plain_endpoint_when_streaming_fails(page: WebDriver, site: LiveSite) -> None:
    _login_with_demo_button(page, SELLER)
    page.execute_cdp_cmd("Network.enable", {})  # type: ignore[attr-defined]
    page.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/messages/stream"]})  # type: ignore[attr-defined]
    turn = _ask(page, "¿Cuántas unidades hay de CAF-001?")
    assert turn.get_attribute("data-agent") == "inventory"
    assert len(_user_messages(page, site)) == 1  # sent once, not once per endpoint


def test_an_expired_session_returns_to_the_login_form(page: WebDriver) -> None:
    _login_with_demo_button(page, BUYER)
    # Both tokens unusable: the silent refresh fails too, so the page asks for the password.
    page.execute_script("window.sessionStorage.setItem('mestocker.token', 'vencido');"
                        "window.sessionStorage.setItem('mestocker.refresh', 'vencido');")
    _css(page, "#chat-input")[0].send_keys("hola")
    _css(page, "#chat-send")[0].click()
    _wait(page).until(lambda b: _css(b, "#login-view")[0].is_displayed())
    assert _css(page, "#login-error")[0].text == "Token de acceso inválido."


def test_an_expired_access_token_is_refreshed_silently(page: WebDriver, site: LiveSite) -> None:
    _login_with_demo_button(page, BUYER)
    first_refresh = _session_item(page, "mestocker.refresh")
    page.execute_script("window.sessionStorage.setItem('mestocker.token', 'vencido');")
    turn = _ask(page, "¿Cuántas unidades hay de CAF-001?")  # the 401 is answered by a refresh, then the turn
    assert _css(turn, ".reply")[0].text.strip() and _css(page, "#chat-view")[0].is_displayed()
    assert _session_item(page, "mestocker.token") != "vencido"
    assert _session_item(page, "mestocker.refresh") not in (None, first_refresh)  # rotated
    assert _user_messages(page, site) == ["¿Cuántas unidades hay de CAF-001?"]  # sent once


def test_a_live_notification_appears_in_the_conversation(page: WebDriver, site: LiveSite) -> None:
    _login_with_demo_button(page, BUYER)
    token = _session_item(page, "mestocker.token")
    user_id = decode_access_token(token, secret=site.app.state.jwt_secret).user_id
    _wait(page).until(lambda _b: site.hub.subscriber_count(user_id) > 0)

    site.hub.publish(user_id, {"type": "notification", "text": "Tu pedido ORD-1001 va en camino con Servientrega."})

    _wait(page).until(lambda b: _css(b, "#messages .msg-notification"))
    notice = _css(page, "#messages .msg-notification")[-1]
    assert "Tu pedido ORD-1001 va en camino con Servientrega." in notice.text
    assert _css(page, "#messages")[0].get_attribute("aria-live") == "polite"


def test_a_notification_sent_while_the_page_was_closed_shows_after_login(page: WebDriver, site: LiveSite) -> None:
    from commerce.marketplace import commands
    from tests.agents.conftest import LAURA

    platform = site.app.state.platform
    order_id = platform.bus.handle(commands.PlaceOrder(buyer_id="BUY-001", actor=LAURA,
                                                            lines=[commands.OrderLineIn(sku="CAF-002", quantity=1)]))
    platform.relay.drain()  # the order's notification row exists; no page was open to receive it
    _login_with_demo_button(page, BUYER)
    _wait(page).until(lambda b: any(order_id in n.text for n in _css(b, "#messages .msg-notification")))
    page.refresh()  # shown once: a reload does not repeat it
    _wait(page).until(lambda b: _css(b, "#chat-view")[0].is_displayed())
    shown = [n for n in _css(page, "#messages .msg-notification") if order_id in n.text]
    assert len(shown) <= 1
