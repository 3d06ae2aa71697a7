"""Where a status callback may go (#13.4): https to public addresses only; loopback (and http
to it) in development; names are resolved and every address they give is judged."""

from __future__ import annotations

import pytest

from beredskab.activations.callback_urls import refusal


def resolver(*addresses: str):
    async def resolve(host: str, port: int) -> list[str]:
        if not addresses:
            raise OSError("no such host")
        return list(addresses)

    return resolve


PUBLIC = "93.184.216.34"


@pytest.mark.parametrize(
    ("url", "addresses", "development", "refused_because"),
    [
        ("https://hooks.example/x", (PUBLIC,), False, None),
        ("https://hooks.example/x", ("2a00:1450:4001:82b::200e",), False, None),
        ("http://hooks.example/x", (PUBLIC,), False, "https"),
        ("ftp://hooks.example/x", (PUBLIC,), True, "https"),
        ("https://hooks.example/x", ("10.0.0.7",), False, "private"),
        ("https://hooks.example/x", (PUBLIC, "192.168.1.1"), False, "private"),
        ("https://hooks.example/x", ("127.0.0.1",), False, "loopback"),
        ("https://hooks.example/x", ("169.254.169.254",), False, "link-local"),
        ("https://hooks.example/x", ("224.0.0.1",), False, "multicast"),
        ("https://hooks.example/x", ("::ffff:10.1.2.3",), False, "private"),
        ("https://hooks.example/x", ("fe80::1%eth0",), False, "link-local"),
        ("https://hooks.example/x", ("100.64.0.1",), False, "private"),  # shared (CGNAT)
        ("https://10.0.0.7/x", (), False, "private"),  # a literal is judged, not resolved
        ("https://[::1]:8443/x", (), False, "loopback"),
        ("https://nowhere.example/x", (), False, "does not resolve"),
        ("https://:443/x", (), False, "absolute"),
        ("https://hooks.example:99999/x", (PUBLIC,), False, "port"),
        ("/relative", (), False, "absolute"),
        # development: local receivers on loopback, http or https; nothing else relaxed
        ("http://127.0.0.1:8123/hook", (), True, None),
        ("http://localhost:8123/hook", ("127.0.0.1", "::1"), True, None),
        ("http://hooks.example/x", (PUBLIC,), True, "https"),
        ("https://hooks.example/x", ("10.0.0.7",), True, "private"),
    ],
)
async def test_callback_destinations(url, addresses, development, refused_because):
    reason = await refusal(url, development=development, resolve=resolver(*addresses))
    if refused_because is None:
        assert reason is None
    else:
        assert reason is not None and refused_because in reason, reason
