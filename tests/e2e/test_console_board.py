"""The status board in a browser: the issue's journey — an authority requests, a steering member
endorses on the board, the crisis leader's primary answers the role SMS, and the board open in
the steering member's tab shows it by itself within 2 s."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator

import httpx
import pytest
import yaml
from sqlmodel import select

from beredskab.auth import signin
from beredskab.db import make_engine, make_sessionmaker
from beredskab.directory.sync import import_directory
from beredskab.metadata import utcnow
from beredskab.outbox import OutboxMessage
from tests.e2e.conftest import AUTHORITY, CODE, DIRECTORY, STEERING, _served, check_page
from tests.factories import demo_config
from web import live as live_module
from web.deps import COOKIE, csrf_for

pytestmark = pytest.mark.db

LEADER = "p001"  # the crisis leader's primary on the demo roster


def test_a_role_answered_by_sms_shows_on_the_open_board_without_reload(console, browser):
    authority = browser.new_context().new_page()
    board_path = "/aktivering/" + console.ask_for_activation(
        authority, "Vandforsyning svigter i Odder"
    )
    assert authority.get_by_role("button", name="Træk anmodningen tilbage").is_visible()
    assert authority.get_by_role("button", name="Godkend aktiveringen").count() == 0

    steering = browser.new_context().new_page()  # another person, another browser context
    console.sign_in(steering, STEERING, next_path=board_path)
    steering.get_by_role("button", name="Godkend aktiveringen").click()
    steering.wait_for_url(f"{console.url}{board_path}")
    leader_row = steering.locator('tr[data-role="crisis_leader"]')
    assert "Kalder op" in leader_row.inner_text()
    steering.locator("#tavle [data-countdown]").first.wait_for()
    # typing in a form must survive the live updates
    steering.get_by_label("Begrundelse for at afslutte (frivillig)").fill("Halvt skrevet")
    steering.get_by_label("Begrundelse for at afslutte (frivillig)").focus()

    page = console.wait_for_text(LEADER, "kriseleder")
    code = re.search(r"OK (\d+)", page)[1]
    answered = console.reply(LEADER, f"OK {code}")
    assert answered.status_code == 200
    started = time.monotonic()
    name = console.people[LEADER]["name"]
    leader_row.filter(has_text=name).filter(has_text="Besat").wait_for(timeout=2000)
    assert time.monotonic() - started <= 2.0
    assert (
        steering.get_by_label("Begrundelse for at afslutte (frivillig)").input_value()
        == "Halvt skrevet"
    )
    assert steering.evaluate("document.activeElement.id") == "stand_down_reason"
    link = leader_row.get_by_role("link")
    assert link.get_attribute("href") == f"tel:{console.phone(LEADER)}"
    check_page(steering, "aktivering")


def test_the_reject_form_needs_a_reason(console, browser):
    authority = browser.new_context().new_page()
    board_path = "/aktivering/" + console.ask_for_activation(authority, "Strømsvigt i Odder")

    steering = browser.new_context().new_page()
    console.sign_in(steering, STEERING, next_path=board_path)
    steering.get_by_role("button", name="Afvis anmodningen").click()
    assert steering.locator("#reject_reason-fejl").inner_text() == "Skal udfyldes."
    assert steering.get_by_text("Handlingen er ikke udført").is_visible()
    assert "Anmodet" in steering.locator("#tavle").inner_text()
    check_page(steering, "aktivering-anmodet")
    steering.get_by_label("Begrundelse for afvisningen").fill("Kommunen klarer det selv.")
    steering.get_by_role("button", name="Afvis anmodningen").click()
    steering.wait_for_url(f"{console.url}{board_path}")
    assert "Kommunen klarer det selv." in steering.locator("#tavle").inner_text()
    # the authority's open board tells by itself, and that its buttons no longer fit
    note = authority.get_by_role("status").filter(has_text="Aktiveringen er nu Afvist")
    note.wait_for(timeout=2000)
    assert note.get_by_role("link", name="Genindlæs siden").is_visible()


# the live streams of an activation's pages: (path after /aktivering/{id}, event, first data)
STREAMS = {
    "board": ("/live", "event: board", "Roller"),
    "log": ("/logbog/live", "event: entry", "indlaeg-"),
}


def _open_live(
    url: str, token: str, stream: str
) -> tuple[httpx.Client, httpx.Response, Iterator[str]]:
    """Odder's request made through the form, and one of its live streams with the first
    event (the board as it is, the log's entries so far) read."""
    path, event, first = STREAMS[stream]
    client = httpx.Client(base_url=url, cookies={COOKIE: token}, timeout=10)
    made = client.post(
        "/oversigt/anmod",
        data={
            "csrf": csrf_for(token),
            "title": "Vandforsyning svigter i Odder",
            "contact_name": "Frida Bak",
            "contact_phone": "20 12 34 56",
            "channels": "phone",
        },
    )
    assert made.status_code == 303
    live = client.send(client.build_request("GET", made.headers["location"] + path), stream=True)
    assert live.headers["content-type"].startswith("text/event-stream")
    lines = live.iter_lines()
    assert next(line for line in lines if line.startswith("event:")) == event
    assert first in next(lines)
    return client, live, lines


def _rest_within(lines: Iterator[str], seconds: float) -> list[str]:
    """The stream read to its end, which must come within `seconds` (keep-alives or not)."""
    started, rest = time.monotonic(), []
    for line in lines:
        rest.append(line)
        assert time.monotonic() - started < seconds, "the live stream did not end"
    assert time.monotonic() - started < seconds, "the live stream did not end"
    return rest


@pytest.mark.parametrize("stream", STREAMS)
def test_an_open_live_stream_does_not_hold_up_the_server_shutdown(db, stream):
    """uvicorn waits for open responses when it stops; a live stream must end by itself."""
    served = _served(db)
    url = served.__enter__()
    try:
        client, live, lines = _open_live(url, asyncio.run(_signed_in(db, AUTHORITY)), stream)
    except BaseException:
        served.__exit__(None, None, None)
        raise
    started = time.monotonic()
    served.__exit__(None, None, None)  # stops the server while the stream is open
    assert time.monotonic() - started < 3, f"the live {stream} held the shutdown up"
    list(lines)  # the stream has ended: reading it to the end returns
    live.close()
    client.close()


@pytest.mark.parametrize("stream", STREAMS)
def test_signing_out_ends_an_open_live_stream(db, monkeypatch, stream):
    monkeypatch.setattr(live_module, "RECHECK_S", 0.5)
    with _served(db) as url:
        token = asyncio.run(_signed_in(db, AUTHORITY))
        client, live, lines = _open_live(url, token, stream)
        signed_out = client.post("/logout", data={"csrf": csrf_for(token)})
        assert signed_out.status_code == 303
        rest = _rest_within(lines, 3)  # ends when the stream does
        assert not any(line.startswith("event:") for line in rest)  # nothing more was sent
        live.close()
        client.close()


async def _signed_in(db, person_id: str) -> str:  # noqa: ANN001
    """A session token for `person_id` (the directory loaded), through the sign-in service."""
    data = yaml.safe_load(DIRECTORY.read_text(encoding="utf-8"))
    phone = next(p["phone"] for p in data["people"] if p["id"] == person_id)
    engine = make_engine(db.url)
    try:
        async with make_sessionmaker(engine)() as session:
            await import_directory(session, data, str(DIRECTORY))
            now = utcnow()
            await signin.request_code(session, phone, "t", playbook=demo_config().playbook, now=now)
            sms = (
                await session.exec(select(OutboxMessage).order_by(OutboxMessage.id.desc()))
            ).first()
            code = CODE.search(sms.body)[1]
            _, token = await signin.sign_in(session, phone, code, "t", "t", now=now)
    finally:
        await engine.dispose()
    return token
