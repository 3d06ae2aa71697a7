"""The API documentation renders in a real browser with no network beyond our own server
(#12 item 8): a request to any other host fails the test."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.db


@pytest.mark.parametrize(
    ("page", "rendered"),
    [("/docs", ".swagger-ui .info .title"), ("/redoc", "[role='navigation'], .api-info h1")],
)
def test_docs_render_offline(live_server, browser, page, rendered):
    context = browser.new_context()
    outside: list[str] = []

    def only_ours(route):  # noqa: ANN001
        if route.request.url.startswith(live_server):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_ours)
    tab = context.new_page()
    tab.goto(live_server + page)
    tab.wait_for_selector(rendered, timeout=20_000)
    assert "DDH Beredskab" in tab.content()
    assert outside == [], f"{page} tried to load {outside}"
    context.close()
