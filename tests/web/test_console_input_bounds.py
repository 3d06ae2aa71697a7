"""Absurd ids in a console address and absurd query values are refused with a Danish page (404
or 422), never a server error: every console route is walked with each absurd value in each of
its path parameters and its query values, signed in as an admin, a steering member and a
member of the crisis staff."""

from __future__ import annotations

import re

import pytest

from tests.web.activations import endorsed_activation
from tests.web.routes import console_api_routes

pytestmark = pytest.mark.db

ADMIN = "p077"
STEERING = "p012"
CRISIS_STAFF = "p003"  # ticks action cards
# a form that would be accepted, so an absurd id reaches the use case behind it
FORM = {"reason": "Afprøvning af grænser", "state": "done"}
ABSURD = ("x" * 5000, "1e23", "²", "99999999999999999999", "-1", "0", "1.5", "%00")
# query values the pages read from request.query_params themselves (no declared parameter)
READ_QUERY = {
    "/okonomi": ("vis", "first", "last"),
    "/aktivering/{activation_id}/logbog": ("type", "af", "tekst", "aeldre", "ret"),
}
SKIPPED = {"/logout"}  # it ends the session the walk needs
STREAMS = "/live"  # a live stream with usable values never ends: only its path ids are walked
PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")


def _fill(path: str, values: dict[str, str]) -> str:
    return PARAM.sub(lambda m: values[m[1]], path)


def _cases(app, activation_id: str) -> list[tuple[str, str, dict]]:  # noqa: ANN001
    """(method, url, query): one absurd value in one path parameter or query value at a time;
    the other parameters hold usable values (the real activation, row 1)."""
    cases = []
    for route in console_api_routes(app):
        if route.path in SKIPPED:
            continue
        names = PARAM.findall(route.path)
        usable = {n: activation_id if n == "activation_id" else "1" for n in names}
        usable.update({"kind": "csv", "fmt": "csv"})
        query = [p.alias for p in route.dependant.query_params]
        query += READ_QUERY.get(route.path, ())
        for method in route.methods - {"HEAD"}:
            for value in ABSURD:
                for name in names:
                    cases.append((method, _fill(route.path, {**usable, name: value}), {}))
                if method == "GET" and not route.path.endswith(STREAMS):
                    for name in query:
                        every = {q: "1" for q in query} | {name: value}
                        cases.append((method, _fill(route.path, usable), every))
    return cases


@pytest.mark.parametrize("person", [ADMIN, STEERING, CRISIS_STAFF])
async def test_absurd_ids_and_query_values_never_give_a_server_error(app, as_person, person):
    activation_id = await endorsed_activation(app, as_person)
    me = await as_person(person)
    cases = _cases(app, activation_id)
    assert len(cases) > 100
    failures = []
    for method, url, query in cases:
        try:  # the test client raises what the app's 500 page answered
            if method == "GET":
                answer = await me.client.get(url, params=query)
            else:
                answer = await me.post(url, FORM, params=query)
        except Exception as exc:  # noqa: BLE001 - each is a failure, all are listed
            failures.append((method, url[:80], query, type(exc).__name__))
            continue
        if answer.status_code >= 500:
            failures.append((method, url[:80], query, answer.status_code))
        elif answer.status_code in (404, 422):
            assert "<html" in answer.text and 'lang="da"' in answer.text, (method, url[:80])
    assert failures == []


async def test_an_id_beyond_the_database_integer_is_a_danish_422_page(app, as_person):
    activation_id = await endorsed_activation(app, as_person)
    steering = await as_person(STEERING)
    for path in ("vagter/1e23/godkend", "vagter/99999999999999999999/afvis"):
        answer = await steering.post(f"/aktivering/{activation_id}/{path}", FORM)
        assert answer.status_code == 422
        assert "Oplysningerne kan ikke bruges" in answer.text
    crisis_staff = await as_person(CRISIS_STAFF)
    ticked = await crisis_staff.post(
        f"/aktivering/{activation_id}/handlingskort/99999999999999999999", FORM
    )
    assert ticked.status_code == 422 and "Oplysningerne kan ikke bruges" in ticked.text
