"""/docs and /redoc in a real browser with the network closed but for 127.0.0.1: the pages load
their scripts from the server itself and list the API's operations (Debian's chromium, playwright,
as tests/serve/test_browser.py)."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest

from tests.serve.test_browser import CHROMIUM, _missing


def test_the_api_docs_pages_list_every_operation_offline(served):
    why = _missing()
    if why:
        print(f"browser test skipped: {why}")
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    spec = httpx.get(served.url + "/openapi.json").json()
    operations = {(method.upper(), path) for path, ops in spec["paths"].items() for method in ops}
    summaries = {op["summary"] for ops in spec["paths"].values() for op in ops.values()}
    assert len(operations) >= 10
    outside: list[str] = []

    def only_loopback(route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            context = browser.new_context()
            context.route("**/*", only_loopback)
            page = context.new_page()
            page.goto(served.url + "/docs", wait_until="load")
            page.wait_for_selector(".opblock", timeout=30_000)
            shown = page.locator(".opblock").evaluate_all(
                "blocks => blocks.map(b => [b.querySelector('.opblock-summary-method').innerText,"
                " b.querySelector('.opblock-summary-path').getAttribute('data-path')])"
            )
            assert {(method, path) for method, path in shown} == operations

            page.goto(served.url + "/redoc", wait_until="load")
            page.wait_for_selector("[role=menuitem]", timeout=30_000)
            text = page.locator("body").inner_text()
            assert all(summary in text for summary in summaries), [s for s in summaries if s not in text]
        finally:
            browser.close()
    assert outside == [], outside  # nothing was asked of another host
