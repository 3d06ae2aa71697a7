"""Sign-in, sessions and CSRF over HTTP: what the browser tests do not reach."""

from __future__ import annotations

import httpx
import pytest

from tests.web.conftest import last_code
from web.deps import COOKIE

pytestmark = pytest.mark.db

AUTHORITY = "p075"  # Odder
OTHER_AUTHORITY = "p073"  # København


async def test_a_page_without_a_session_sends_to_sign_in_and_back(client, demo):
    answer = await client.get("/oversigt?vis=alle")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/oversigt%3Fvis%3Dalle"


async def test_signing_in_sets_an_httponly_strict_cookie_and_goes_back(app, client, demo):
    page = await client.get("/login?next=/oversigt")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    phone = demo[AUTHORITY]["phone"]
    asked = await client.post("/login", data={"phone": phone, "csrf": csrf, "next": "/oversigt"})
    assert "Skriv koden" in asked.text
    code = await last_code(app, phone)
    done = await client.post(
        "/login/kode", data={"phone": phone, "code": code, "csrf": csrf, "next": "/oversigt"}
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/oversigt"
    cookie = next(c for c in done.headers.get_list("set-cookie") if c.startswith(COOKIE))
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Secure" not in cookie  # PUBLIC_BASE_URL is http here
    assert (await client.get("/oversigt")).status_code == 200


async def test_a_sign_in_form_from_elsewhere_is_refused(client, demo):
    await client.get("/login")  # the pre-sign-in cookie is set, but its token is not sent
    refused = await client.post("/login", data={"phone": demo[AUTHORITY]["phone"], "csrf": "x"})
    assert refused.status_code == 403


async def test_an_offsite_next_address_is_not_followed(app, client, demo):
    page = await client.get("/login")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    phone = demo[AUTHORITY]["phone"]
    await client.post("/login", data={"phone": phone, "csrf": csrf})
    code = await last_code(app, phone)
    done = await client.post(
        "/login/kode",
        data={"phone": phone, "code": code, "csrf": csrf, "next": "//evil.example/"},
    )
    assert done.headers["location"] == "/oversigt"


async def test_a_form_without_the_csrf_token_is_refused_and_changes_nothing(as_person):
    me = await as_person(AUTHORITY)
    form = {"title": "Storm", "contact_name": "Frida", "contact_phone": "20123456"}
    refused = await me.client.post("/oversigt/anmod", data={**form, "channels": "phone"})
    assert refused.status_code == 403
    assert "Formularen blev afvist" in refused.text
    wrong = await me.client.post(
        "/oversigt/anmod", data={**form, "channels": "phone", "csrf": "0" * 64}
    )
    assert wrong.status_code == 403
    assert "Storm" not in (await me.client.get("/oversigt")).text
    made = await me.post("/oversigt/anmod", {**form, "channels": "phone"})
    assert made.status_code == 303
    assert "Storm" in (await me.client.get("/oversigt")).text


async def test_an_authority_sees_only_its_own_activations(as_person):
    odder = await as_person(AUTHORITY)
    made = await odder.post(
        "/oversigt/anmod",
        {
            "title": "Skybrud i Odder",
            "contact_name": "F",
            "contact_phone": "20123456",
            "channels": "phone",
        },
    )
    page = made.headers["location"]
    copenhagen = await as_person(OTHER_AUTHORITY)
    assert "Skybrud i Odder" not in (await copenhagen.client.get("/oversigt")).text
    other = await copenhagen.client.get(page)
    assert other.status_code == 404
    assert "Siden findes ikke" in other.text


async def test_a_person_without_an_authority_role_may_not_request(as_person):
    steering = await as_person("p012")
    refused = await steering.post(
        "/oversigt/anmod",
        {"title": "X", "contact_name": "F", "contact_phone": "20123456", "channels": "phone"},
    )
    assert refused.status_code == 403
    assert "Ingen adgang" in refused.text


async def test_five_wrong_codes_end_the_code_even_for_the_right_one(app, client, demo):
    page = await client.get("/login")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    phone = demo[AUTHORITY]["phone"]
    await client.post("/login", data={"phone": phone, "csrf": csrf})
    right = await last_code(app, phone)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    answers = [
        await client.post("/login/kode", data={"phone": phone, "code": wrong, "csrf": csrf})
        for _ in range(5)
    ]
    assert all("Koden passer ikke" in a.text for a in answers)
    sixth = await client.post("/login/kode", data={"phone": phone, "code": right, "csrf": csrf})
    assert "Bed om en ny kode" in sixth.text
    assert COOKIE not in sixth.cookies
    assert (await client.get("/oversigt")).status_code == 303  # not signed in


async def test_a_person_whose_roles_are_gone_may_still_sign_out(app, as_person):
    from sqlalchemy import delete

    from beredskab.directory.models import AuthorityContact

    me = await as_person(AUTHORITY)
    async with app.state.sessionmaker() as session:
        await session.exec(delete(AuthorityContact).where(AuthorityContact.person_id == AUTHORITY))
        await session.commit()
    assert (await me.client.get("/oversigt")).status_code == 403
    out = await me.post("/logout")
    assert out.status_code == 303 and out.headers["location"].startswith("/login")


async def test_sign_out_ends_the_session(as_person):
    me = await as_person(AUTHORITY)
    out = await me.post("/logout")
    assert out.status_code == 303
    assert (await me.client.get("/oversigt")).status_code == 303  # back to sign-in


async def test_a_deactivated_person_is_signed_out_at_once(app, as_person, demo):
    from beredskab.directory.models import Person

    me = await as_person(AUTHORITY)
    assert (await me.client.get("/oversigt")).status_code == 200
    async with app.state.sessionmaker() as session:
        person = await session.get(Person, AUTHORITY)
        person.active = False
        session.add(person)
        await session.commit()
    assert (await me.client.get("/oversigt")).status_code == 303


async def test_the_cookie_is_secure_when_the_service_is_served_over_https(db, demo):
    from asgi_lifespan import LifespanManager

    from api.app import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings(db, public_base_url="https://beredskab.example"))
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as c:
            page = await c.get("/login")
            assert "Secure" in page.headers["set-cookie"]
            csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
            phone = demo[AUTHORITY]["phone"]
            await c.post("/login", data={"phone": phone, "csrf": csrf})
            code = await last_code(app, phone)
            done = await c.post("/login/kode", data={"phone": phone, "code": code, "csrf": csrf})
            cookie = next(x for x in done.headers.get_list("set-cookie") if x.startswith(COOKIE))
            assert "Secure" in cookie
            assert "HttpOnly" in cookie
