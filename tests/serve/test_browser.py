"""A real browser on the served seed page: Debian's chromium, driven by playwright (1.64 speaks to
Chromium 156), Arabic rendered by fonts-noto-core. `make test` installs both where it can (root,
apt); only where they cannot be installed does this test skip, and it says why."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import ROOT, SEED_PAGE_ID

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"  # screenshots a run leaves behind (not committed)


def _missing() -> str:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install '.[test]')"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium; `make test` does this when run as root)"
    fonts = subprocess.run(["fc-list", ":lang=ar"], capture_output=True, text=True).stdout if shutil.which("fc-list") else ""
    if "Noto" not in fonts:
        return "no Noto font for Arabic (apt-get install fonts-noto-core; `make test` does this when run as root)"
    return ""


def test_the_seed_page_shows_a_box_in_several_languages_and_its_rows_open_their_article(served):
    why = _missing()
    if why:
        print(f"browser test skipped: {why}")
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            page = browser.new_page(viewport={"width": 412, "height": 915}, device_scale_factor=1, locale="ar")  # a phone
            page.goto(f"{served.url}/article/{SEED_PAGE_ID}", wait_until="load")
            assert page.evaluate("document.documentElement.dir") == "rtl"
            assert page.locator("h2#similar").inner_text() == "مقالات مشابهة"
            rows = page.locator("section.box ol.rows > li")
            langs = set(rows.evaluate_all("items => items.map(li => li.lang)"))
            assert rows.count() >= 3 and len(langs) >= 2, langs
            # the page fits a phone's width: no sideways scrolling
            assert page.evaluate("document.documentElement.scrollWidth") <= 412
            page.screenshot(path=str(ARTIFACTS / "seed-article-phone.png"), full_page=True)

            target = rows.nth(1).locator("a.title")
            title, href = target.inner_text(), target.get_attribute("href")
            target.click()
            page.wait_for_url(f"{served.url}{href}")
            assert page.locator("h1").inner_text() == title
            assert page.locator("section.box h2").count() == 1
            page.screenshot(path=str(ARTIFACTS / "clicked-row.png"))
        finally:
            browser.close()
