"""Role matrix of the directory endpoints: only admin edits; readiness is also for steering and
crisis staff. Every other role gets 403, every allowed role gets past the check."""

from __future__ import annotations

import pytest

from beredskab.auth.models import TokenRole as R
from tests.factories import bearer, make_token
from tests.integration.test_directory import import_demo

ADMIN = {R.admin}
READINESS = {R.admin, R.steering, R.crisis_staff}

# (method, path, body, roles allowed) — one row per directory endpoint
MATRIX = [
    ("GET", "/directory/readiness", None, READINESS),
    ("GET", "/directory/organisations", None, ADMIN),
    ("GET", "/directory/people", None, ADMIN),
    ("GET", "/directory/people/p001", None, ADMIN),
    (
        "POST",
        "/directory/people",
        {"id": "p200", "name": "N", "phone": "20123456", "org_id": "odder"},
        ADMIN,
    ),
    ("PATCH", "/directory/people/p001", {"title": "Kriseleder"}, ADMIN),
    ("POST", "/directory/people/p001/sessions/end", None, ADMIN),
    ("GET", "/directory/roster/log_keeper", None, ADMIN),
    ("PUT", "/directory/roster/log_keeper", {"person_ids": ["p003", "p004", "p005"]}, ADMIN),
    ("GET", "/directory/steering-group", None, ADMIN),
    ("PUT", "/directory/steering-group", {"person_ids": ["p012"]}, ADMIN),
    ("GET", "/directory/municipality-contacts/skive", None, ADMIN),
    ("PUT", "/directory/municipality-contacts/skive", {"person_ids": ["p023", "p024"]}, ADMIN),
    ("GET", "/directory/authority-contacts/kobenhavn", None, ADMIN),
    ("PUT", "/directory/authority-contacts/kobenhavn", {"person_ids": ["p073"]}, ADMIN),
]


def test_the_matrix_lists_every_directory_endpoint(app):
    documented = {
        (method.upper(), path)
        for path, ops in app.openapi()["paths"].items()
        if path.startswith("/directory")
        for method in ops
    }
    templates = {
        "/directory/people/p001": "/directory/people/{person_id}",
        "/directory/people/p001/sessions/end": "/directory/people/{person_id}/sessions/end",
        "/directory/roster/log_keeper": "/directory/roster/{role}",
        "/directory/municipality-contacts/skive": "/directory/municipality-contacts/{org_id}",
        "/directory/authority-contacts/kobenhavn": "/directory/authority-contacts/{org_id}",
    }
    assert {(m, templates.get(p, p)) for m, p, _, _ in MATRIX} == documented


@pytest.fixture
async def tokens(session) -> dict[R, dict[str, str]]:
    await import_demo(session)
    return {role: bearer(await make_token(session, role)) for role in R}


@pytest.mark.parametrize(
    ("method", "path", "body", "allowed"), MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX]
)
async def test_each_role_not_allowed_gets_403(client, tokens, method, path, body, allowed):
    for role in R:
        r = await client.request(method, path, headers=tokens[role], json=body)
        if role in allowed:
            assert r.status_code in (200, 201), (role, r.status_code, r.text)
        else:
            assert r.status_code == 403, (role, r.status_code, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(("method", "path", "body", "allowed"), MATRIX[:1] + MATRIX[4:6])
async def test_no_token_gets_401(client, method, path, body, allowed):
    r = await client.request(method, path, json=body)
    assert r.status_code == 401
