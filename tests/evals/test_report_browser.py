"""report.html in headless Chromium: the page renders and its charts carry the report's data.

Uses Debian's chromium + chromium-driver like tests/e2e; skips without them (fails in CI with
MESTOCKER_REQUIRE_SERVICES=1). No ragas needed: the report is built from synthetic scores.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evals.report import render_html
from tests.services import REQUIRE_ENV

CHROMIUM = Path(os.environ.get("MESTOCKER_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("MESTOCKER_CHROMEDRIVER", "/usr/bin/chromedriver"))

pytestmark = pytest.mark.browser


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason} ({REQUIRE_ENV}=1)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def browser() -> Iterator[Any]:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable("selenium is not installed")
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not binary.is_file():
            _unavailable(f"{binary} not found")
    os.environ.setdefault("SE_OFFLINE", "true")
    options = Options()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=es-CO"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    yield driver
    driver.quit()


def test_report_renders_with_charts(browser: Any, tmp_path: Path, synthetic_report: dict[str, Any]) -> None:
    from selenium.webdriver.common.by import By

    page = tmp_path / "report.html"
    page.write_text(render_html(synthetic_report), encoding="utf-8")
    browser.get(page.as_uri())
    assert "evaluación" in browser.title
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart")
    assert len(charts) == 3  # agents, categories, pass^k
    widths = [float(bar.get_attribute("width")) for bar in charts[0].find_elements(By.TAG_NAME, "rect")]
    assert len(widths) == 2 and max(widths) > 0 and min(widths) < max(widths)  # order agent fails half its runs
    assert len(charts[2].find_elements(By.TAG_NAME, "circle")) == 2  # pass^1, pass^2
    assert browser.find_element(By.CSS_SELECTOR, "table.summary").is_displayed()
    assert "ord-001" in browser.find_element(By.TAG_NAME, "body").text  # the failure is listed
