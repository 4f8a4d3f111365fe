"""Headless Chromium (Debian's `chromium` + `chromium-driver`) driven by Selenium, and a live server.

Nothing is downloaded: the browser and driver paths are explicit, so Selenium Manager never
runs. Without them the browser tests skip, unless MESTOCKER_REQUIRE_SERVICES=1 (CI) fails them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest
from fastapi import FastAPI

from api.app import create_app
from infra.bootstrap import Platform
from infra.channels.web_push import InProcessWebPushHub
from tests.services import REQUIRE_ENV, serve_app

if TYPE_CHECKING:
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM = Path(os.environ.get("MESTOCKER_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("MESTOCKER_CHROMEDRIVER", "/usr/bin/chromedriver"))
INSTALL_HINT = "apt-get install -y --no-install-recommends chromium chromium-driver; pip install selenium"


def pytest_configure(config: pytest.Config) -> None:
    # Registered in pyproject.toml too; repeated here so this directory runs under --strict-markers alone.
    config.addinivalue_line("markers", "browser: drives headless Chromium (Debian chromium + chromium-driver)")


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason} ({REQUIRE_ENV}=1): {INSTALL_HINT}", pytrace=False)
    pytest.skip(f"{reason}: {INSTALL_HINT}")


@pytest.fixture
def database_url(sqlite_template: Path, tmp_path: Path) -> str:
    """The browser tests exercise the page, not the database kind: SQLite only."""
    target = tmp_path / "mestocker.db"
    shutil.copyfile(sqlite_template, target)
    return f"sqlite:///{target}"


@pytest.fixture(scope="session")
def chromium_options() -> Options:
    """Options for Debian's headless Chromium; skips (or fails in CI) when it is not installed."""
    try:
        from selenium.webdriver.chrome.options import Options
    except ImportError:
        _unavailable("selenium is not installed")
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not binary.is_file():
            _unavailable(f"{binary} not found")
    os.environ.setdefault("SE_OFFLINE", "true")  # belt and braces: Selenium Manager must not fetch anything
    options = Options()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,900", "--lang=es-CO", "--no-first-run", "--disable-extensions"):
        options.add_argument(argument)
    return options


@dataclass
class LiveSite:
    url: str
    app: FastAPI
    hub: InProcessWebPushHub


@pytest.fixture
def site(platform: Platform) -> Iterator[LiveSite]:
    app = create_app(platform, background_worker=False)
    with serve_app(app) as url:
        # After start-up, so the hub the lifespan built is replaced by one the test observes.
        hub = InProcessWebPushHub()
        app.state.web_push = hub
        yield LiveSite(url=url, app=app, hub=hub)


@pytest.fixture
def browser(chromium_options: Options, site: LiveSite) -> Iterator[WebDriver]:
    """A fresh browser per test, quit before `site` stops: Chromium keeps an aborted event stream's
    socket open for a few seconds, quitting closes it at once so the server stops cleanly."""
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    try:
        driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=chromium_options)
    except WebDriverException as exc:
        _unavailable(f"headless Chromium did not start: {exc.msg}")
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()
