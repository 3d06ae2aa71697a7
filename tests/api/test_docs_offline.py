"""`/docs` and `/redoc` work without internet (#12 item 8): every script, stylesheet and icon they
load is served by the service itself, from vendored files at pinned versions."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.db

ASSET = re.compile(
    r"""(?:src|href)\s*=\s*["']([^"']+)["']|(?:url|spec-url)\s*[:=]\s*["']([^"']+)["']"""
)
KINDS = {".js": "javascript", ".css": "text/css", ".png": "image/png"}


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_docs_pages_load_nothing_from_outside(client, page):
    r = await client.get(page)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert "cdn." not in html and "googleapis" not in html and "unpkg" not in html
    assets = [a or b for a, b in ASSET.findall(html)]
    assert assets, "the page loads nothing?"
    for asset in assets:
        assert asset.startswith("/"), f"{page} loads {asset} from elsewhere"
        if asset == "/openapi.json":
            continue
        got = await client.get(asset)
        assert got.status_code == 200, asset
        suffix = asset[asset.rindex(".") :]
        assert KINDS[suffix] in got.headers["content-type"], (asset, got.headers["content-type"])
        assert len(got.content) > 500


async def test_the_vendored_files_carry_their_licences(client):
    for path in (
        "/static/vendor/swagger-ui-dist-5.32.0/LICENSE",
        "/static/vendor/redoc-2.5.1/LICENSE",
    ):
        r = await client.get(path)
        assert r.status_code == 200 and "LICENSE" in r.text.upper()
