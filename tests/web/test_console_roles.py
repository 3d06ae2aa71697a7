"""Every console page and form states who may use it, and every other role is refused (403).

The console's own matrix (the API's is tests/api/test_role_matrix.py): a route is public by
design (signing in) or depends on `web.deps.allow(...)`, whose roles this test reads."""

from __future__ import annotations

import re

import pytest

from beredskab.auth.identity import identity_of
from beredskab.auth.models import TokenRole
from tests.web.routes import console_routes

pytestmark = pytest.mark.db

PUBLIC = {"/", "/login", "/login/kode"}  # before anyone is signed in
SIGNED_IN = {"/logout"}  # anyone with a session, even one whose roles were taken away since
# in the demo directory, people who hold exactly one role each
ONE_ROLE = {
    TokenRole.authority: "p075",
    TokenRole.steering: "p012",
    TokenRole.crisis_staff: "p003",
    TokenRole.finance: "p076",
    TokenRole.admin: "p077",
}


async def test_every_console_route_is_public_by_design_or_states_its_roles(app):
    found = console_routes(app)
    assert {p for _, p, _ in found} >= {"/oversigt", "/login", "/logout"}
    unguarded = [
        (m, p) for m, p, allowed in found if allowed is None and p not in PUBLIC | SIGNED_IN
    ]
    assert unguarded == [], f"console routes without a stated role: {unguarded}"


async def test_the_people_of_the_matrix_hold_exactly_one_role(app, demo):
    async with app.state.sessionmaker() as session:
        for role, person_id in ONE_ROLE.items():
            me = await identity_of(session, person_id)
            assert me is not None and me.roles == {role}, (person_id, me)


async def test_each_role_not_allowed_gets_403_on_every_console_route(app, as_person):
    people = {role: await as_person(person_id) for role, person_id in ONE_ROLE.items()}
    checked = 0
    for method, path, allowed in console_routes(app):
        if allowed is None or method == "HEAD":
            continue
        url = re.sub(r"\{[^}]+\}", "x", path)
        for role, me in people.items():
            if role in allowed:
                continue
            if method == "GET":
                answer = await me.client.get(url)
            else:
                answer = await me.post(url)
            assert answer.status_code == 403, (method, path, role, answer.status_code)
            assert "Ingen adgang" in answer.text
            checked += 1
    assert checked > 0
