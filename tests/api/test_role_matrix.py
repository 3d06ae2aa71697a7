"""Every endpoint has an explicit role check: each role it does not admit gets 403."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute

from beredskab.auth.models import TokenRole
from tests.factories import bearer, make_token
from web.app import is_console_path


def _api_routes(routes):
    """Every APIRoute of the API, including those of included routers (FastAPI 0.165 nests
    them); the console's pages have a matrix of their own (tests/web/test_console_roles.py)."""
    for route in routes:
        if isinstance(route, APIRoute):
            if not is_console_path(route.path):
                yield route
        elif hasattr(route, "original_router"):
            yield from _api_routes(route.original_router.routes)


def _guarded_routes(app) -> list[tuple[str, str, frozenset]]:
    out = []
    for route in _api_routes(app.routes):
        allowed = None
        stack = list(route.dependant.dependencies)
        while stack:
            dep = stack.pop()
            if getattr(dep.call, "allowed_roles", None) is not None:
                allowed = dep.call.allowed_roles
            stack.extend(dep.dependencies)
        for method in route.methods:
            out.append((method, route.path, allowed))
    return out


# The calendar feed has no bearer token (Outlook cannot send one): its secret key is the access,
# tested in tests/api/test_shifts_api.py.
PUBLIC = {
    "/healthz",
    "/readyz",
    "/metrics",  # aggregate counts only, for the Prometheus scraper
    "/webhooks/twilio/sms",
    "/webhooks/twilio/status",
    # a call's webhooks: Twilio's signature is the access (tests/integration/test_voice_calls.py)
    "/webhooks/twilio/voice/{call_id}/{code}",
    "/webhooks/twilio/voice/{call_id}/{code}/gather",
    "/webhooks/twilio/voice/{call_id}/{code}/status",
    "/calendar/feeds/{org_id}.ics",
    "/docs",  # the API's documentation pages (api/docs.py): the same for everyone
    "/redoc",
}
UNDOCUMENTED = {"/docs", "/redoc"}  # pages about the API, not operations of it


async def test_the_walk_finds_every_documented_operation(app):
    documented = {
        (method.upper(), path) for path, ops in app.openapi()["paths"].items() for method in ops
    }
    walked = {(m, p) for m, p, _ in _guarded_routes(app) if p not in UNDOCUMENTED}
    assert documented and documented == walked


async def test_every_route_is_public_by_design_or_role_guarded(app):
    unguarded = [
        (m, p) for m, p, allowed in _guarded_routes(app) if allowed is None and p not in PUBLIC
    ]
    assert unguarded == [], f"routes without an explicit role check: {unguarded}"


async def test_each_wrong_role_gets_403_on_every_endpoint(app, client, session):
    tokens = {role: await make_token(session, role) for role in TokenRole}
    checked = 0
    for method, path, allowed in _guarded_routes(app):
        if allowed is None:
            continue
        url = re.sub(r"\{[^}]+\}", "x", path)
        for role in TokenRole:
            if role in allowed:
                continue
            r = await client.request(method, url, headers=bearer(tokens[role]), json={})
            assert r.status_code == 403, (method, path, role, r.status_code, r.text)
            checked += 1
    assert checked > 20


@pytest.mark.parametrize("token", ["", "ddh_not-a-token"])
async def test_missing_or_bad_token_gets_401_everywhere(app, client, token):
    for method, path, allowed in _guarded_routes(app):
        if allowed is None:
            continue
        url = re.sub(r"\{[^}]+\}", "x", path)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        r = await client.request(method, url, headers=headers, json={})
        assert r.status_code == 401, (method, path, r.status_code)
