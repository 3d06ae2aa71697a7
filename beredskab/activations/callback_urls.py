"""Where status callbacks may go: https to a public address. A callback URL is a request made by
our server on an authority's behalf, so a URL naming loopback, a private, link-local or multicast
address (directly or through DNS) would let it probe DDH's own network (SSRF). Checked when the
activation is requested and again before every send (DNS can change in between). In development,
loopback (also plain http) is allowed for local receivers.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1
    return ip


def _public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_global and not ip.is_multicast


async def refusal(
    url: str, *, development: bool, resolve: Resolver = system_resolver
) -> str | None:
    """Why a callback may not go to `url`, or None when it may."""
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        return "must be an absolute URL"
    https_only = "must use https (plain http only to loopback in development)"
    if parts.scheme != "https" and not (development and parts.scheme == "http"):
        return https_only
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "has an invalid port"
    literal = _address(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            found = await resolve(host, port)
        except (OSError, UnicodeError):
            return f"host {host} does not resolve"
        addresses = [a for a in (_address(f) for f in found) if a is not None]
        if not addresses:
            return f"host {host} does not resolve"
    if development and all(a.is_loopback for a in addresses):
        return None
    if parts.scheme != "https":
        return https_only
    bad = next((a for a in addresses if not _public(a)), None)
    if bad is not None:
        return (
            f"points to a loopback, private, link-local or multicast address ({bad}); "
            "callbacks go to public addresses only"
        )
    return None
