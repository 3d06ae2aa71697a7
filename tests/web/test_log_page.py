"""Logbog over HTTP: who may read and write, refusals that write nothing, corrections, the
time field, exports and archive. The journey is in tests/e2e/test_console_log.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from beredskab.auth.identity import identity_of
from beredskab.auth.models import TokenRole as R
from beredskab.eventlog import service as eventlog_service
from beredskab.eventlog.timeline import all_entries
from beredskab.flows.closing import stand_down
from beredskab.lifecycle.staff import answer_role_page_via_api
from beredskab.metadata import utcnow
from beredskab.roles import Role
from tests.web.activations import endorsed_activation

pytestmark = pytest.mark.db

AUTHORITY = "p075"  # Odder
OTHER_AUTHORITY = "p073"  # København
STEERING = "p012"
LEADER = "p001"
LOG_KEEPER = "p003"
OTHER_STAFF = "p004"  # on the roster, holds no role in this activation


@pytest.fixture
async def act(app, as_person):
    """Odder's activation, endorsed, with p001 as crisis leader and p003 as log keeper."""
    activation_id = await endorsed_activation(app, as_person)
    cfg = app.state.runtime.activation_config
    async with app.state.sessionmaker() as session:
        for pid, role in ((LEADER, Role.crisis_leader), (LOG_KEEPER, Role.log_keeper)):
            me = await identity_of(session, pid)
            await answer_role_page_via_api(
                session,
                cfg,
                activation_id,
                role,
                me.principal(R.crisis_staff),
                accept=True,
                now=utcnow(),
            )
    return activation_id


async def entries(app, activation_id):
    async with app.state.read_sessionmaker() as session:
        return await all_entries(session, activation_id)


def page(activation_id: str) -> str:
    return f"/aktivering/{activation_id}/logbog"


async def test_the_log_keeper_writes_an_entry_and_sees_it_newest_first(app, act, as_person, demo):
    keeper = await as_person(LOG_KEEPER)
    shown = (await keeper.client.get(page(act))).text
    assert "Nyt indlæg" in shown and 'name="shown_at"' in shown
    before = len(await entries(app, act))
    done = await keeper.post(page(act), {"kind": "decision", "text": "Vi åbner for chat"})
    assert done.status_code == 303
    log = await entries(app, act)
    assert len(log) == before + 1
    written = (log[-1].kind, log[-1].text, log[-1].actor)
    assert written == ("decision", "Vi åbner for chat", demo[LOG_KEEPER]["name"])
    html = (await keeper.client.get(page(act))).text
    newest = html.index(f'id="indlaeg-{log[-1].seq}"')
    assert newest < html.index(f'id="indlaeg-{log[-2].seq}"')
    assert "Beslutning" in html


async def test_an_htmx_save_answers_the_form_empty_with_focus_and_the_new_entry(act, as_person):
    keeper = await as_person(LOG_KEEPER)
    answer = await keeper.post(
        page(act), {"kind": "action", "text": "Ringede til Odder"}, headers={"HX-Request": "true"}
    )
    assert answer.status_code == 200
    assert "autofocus" in answer.text and "Ringede til Odder</textarea>" not in answer.text
    assert 'hx-swap-oob="afterbegin:#tidslinje"' in answer.text
    assert "Ringede til Odder" in answer.text and "Handling" in answer.text


async def test_an_earlier_time_is_kept_and_a_later_one_refused_in_danish(app, act, as_person):
    keeper = await as_person(LOG_KEEPER)
    tz = app.state.settings.tz
    earlier = (utcnow() - timedelta(hours=2)).astimezone(tz)
    form = {
        "kind": "information",
        "text": "Strømmen gik",
        "shown_at": "x",
        "occurred_at": earlier.strftime("%Y-%m-%dT%H:%M"),
    }
    assert (await keeper.post(page(act), form)).status_code == 303
    written = (await entries(app, act))[-1]
    assert written.occurred_at == earlier.replace(second=0, microsecond=0)
    before = len(await entries(app, act))
    later = (utcnow() + timedelta(hours=1)).astimezone(tz).strftime("%Y-%m-%dT%H:%M")
    refused = await keeper.post(page(act), {**form, "text": "Fremtid", "occurred_at": later})
    assert refused.status_code == 422
    assert "Tidspunktet må ikke ligge i fremtiden." in refused.text
    assert "Fremtid</textarea>" in refused.text  # what was typed is kept
    garbled = await keeper.post(page(act), {**form, "occurred_at": "i går"})
    assert garbled.status_code == 422 and "Skriv dato og klokkeslæt" in garbled.text
    empty = await keeper.post(page(act), {**form, "text": "  ", "occurred_at": ""})
    assert empty.status_code == 422 and "Skal udfyldes." in empty.text
    assert len(await entries(app, act)) == before


async def test_an_htmx_refusal_answers_the_form_with_its_error(act, as_person):
    keeper = await as_person(LOG_KEEPER)
    answer = await keeper.post(
        page(act),
        {"kind": "note", "text": "", "occurred_at": "nej", "shown_at": "x"},
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 200  # htmx swaps only 2xx
    assert "Skriv dato og klokkeslæt" in answer.text and "Skal udfyldes." in answer.text
    assert "<html" not in answer.text


async def test_a_correction_is_a_new_entry_and_marks_the_old(app, act, as_person):
    keeper = await as_person(LOG_KEEPER)
    await keeper.post(page(act), {"kind": "decision", "text": "Chat åbner 12"})
    old = (await entries(app, act))[-1]
    form = (await keeper.client.get(f"{page(act)}?ret={old.seq}")).text
    assert f"Du retter indlæg nr. {old.seq}" in form and "Chat åbner 12</textarea>" in form
    done = await keeper.post(
        page(act), {"kind": "decision", "text": "Chat åbner 13", "corrects": str(old.seq)}
    )
    assert done.status_code == 303
    log = await entries(app, act)
    assert log[-1].corrects == old.seq and log[-2].text == "Chat åbner 12"
    html = (await keeper.client.get(page(act))).text
    assert f"Rettet i nr. {log[-1].seq}" in html and f"Retter nr. {old.seq}" in html


async def test_a_role_holder_filters_by_kind_author_and_text(act, as_person):
    keeper = await as_person(LOG_KEEPER)
    await keeper.post(page(act), {"kind": "omission", "text": "Ingen pressemeddelelse"})
    await keeper.post(page(act), {"kind": "note", "text": "Kaffe bestilt"})
    steering = await as_person(STEERING)
    by_text = (await steering.client.get(page(act), params={"tekst": "PRESSE"})).text
    assert "Ingen pressemeddelelse" in by_text and "Kaffe bestilt" not in by_text
    by_kind = (await steering.client.get(page(act), params={"type": "note"})).text
    assert "Kaffe bestilt" in by_kind and "Ingen pressemeddelelse" not in by_kind
    assert "Nyt indlæg" not in by_kind  # steering reads, does not write
    nobody = (await steering.client.get(page(act), params={"af": "Ingen Person"})).text
    assert "Ingen indlæg passer til filteret." in nobody


async def test_older_entries_are_a_page_away(act, as_person):
    keeper = await as_person(LOG_KEEPER)
    first = (await keeper.client.get(page(act))).text
    assert "Vis ældre" not in first
    for n in range(101):
        await keeper.post(page(act), {"kind": "note", "text": f"Notat {n}"})
    newest = (await keeper.client.get(page(act))).text
    assert newest.count('<li id="indlaeg-') == 100 and "Vis ældre" in newest
    older = newest.split('class="button secondary" href="')[-1].split('"')[0].replace("&amp;", "&")
    rest = (await keeper.client.get(older)).text
    assert "Du ser ældre indlæg" in rest and "Notat 0" in rest and "Notat 100" not in rest


async def test_who_may_not_write_gets_403_and_nothing_is_written(app, act, as_person):
    before = len(await entries(app, act))
    for pid in (AUTHORITY, STEERING, OTHER_STAFF):
        other = await as_person(pid)
        assert "Nyt indlæg" not in (await other.client.get(page(act))).text
        refused = await other.post(page(act), {"kind": "note", "text": "Må jeg?"})
        assert refused.status_code == 403, pid
    assert len(await entries(app, act)) == before


async def test_another_authority_gets_404_everywhere(act, as_person):
    other = await as_person(OTHER_AUTHORITY)
    for path in ("", "/kontrol", "/csv", "/pdf", "/live"):
        assert (await other.client.get(page(act) + path)).status_code == 404, path
    assert (await other.post(page(act) + "/arkiver")).status_code == 403


async def test_a_form_without_csrf_is_refused_and_writes_nothing(app, act, as_person):
    keeper = await as_person(LOG_KEEPER)
    before = len(await entries(app, act))
    refused = await keeper.client.post(page(act), data={"kind": "note", "text": "Uden token"})
    assert refused.status_code == 403 and "Formularen blev afvist" in refused.text
    assert len(await entries(app, act)) == before


async def test_the_chain_badge_and_the_exports(act, as_person):
    reader = await as_person(AUTHORITY)
    badge = await reader.client.get(page(act) + "/kontrol", headers={"HX-Request": "true"})
    assert "Logbogen er uændret" in badge.text and "<html" not in badge.text
    csv = await reader.client.get(page(act) + "/csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"] and "requested" in csv.text
    pdf = await reader.client.get(page(act) + "/pdf")
    assert pdf.content.startswith(b"%PDF")
    assert (await reader.client.get(page(act) + "/xlsx")).status_code == 422


async def test_archive_makes_the_page_read_only(app, act, as_person):
    keeper = await as_person(LOG_KEEPER)
    leader = await as_person(LEADER)
    assert "Arkivér logbogen" not in (await leader.client.get(page(act))).text  # still active
    async with app.state.sessionmaker() as session:
        steering = (await identity_of(session, STEERING)).principal(R.steering)
        await stand_down(
            session, app.state.runtime.activation_config, act, steering, reason="Slut", now=utcnow()
        )
    assert "Arkivér logbogen" not in (await keeper.client.get(page(act))).text  # not the leader
    assert (await keeper.post(page(act) + "/arkiver")).status_code == 403
    assert "Arkivér logbogen" in (await leader.client.get(page(act))).text
    assert (await leader.post(page(act) + "/arkiver")).status_code == 303
    html = (await keeper.client.get(page(act))).text
    assert "Logbogen er arkiveret" in html and "Nyt indlæg" not in html and ">Ret<" not in html
    before = len(await entries(app, act))
    refused = await keeper.post(page(act), {"kind": "note", "text": "For sent"})
    assert refused.status_code == 403
    assert len(await entries(app, act)) == before


@pytest.mark.parametrize("ret", ["²", "9" * 5000, "99999999999999999999", "-1", " 1"])
async def test_a_bad_ret_is_ignored(act, as_person, ret):
    keeper = await as_person(LOG_KEEPER)
    shown = await keeper.client.get(page(act), params={"ret": ret})
    assert shown.status_code == 200 and "Du retter indlæg" not in shown.text


@pytest.mark.parametrize("corrects", ["²", "9" * 5000, "99999999999999999999", "x"])
async def test_a_bad_corrects_is_a_danish_field_error_and_writes_nothing(
    app, act, as_person, corrects
):
    keeper = await as_person(LOG_KEEPER)
    before = len(await entries(app, act))
    form = {"kind": "note", "text": "Retter noget", "corrects": corrects}
    refused = await keeper.post(page(act), form)
    assert refused.status_code == 422
    assert "Indlægget, der rettes, findes ikke i denne logbog." in refused.text
    assert "Retter noget</textarea>" in refused.text
    htmx = await keeper.post(page(act), form, headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and "Indlægget, der rettes, findes ikke" in htmx.text
    assert len(await entries(app, act)) == before


@pytest.mark.parametrize(
    "cursor", ["e30=", "eyJhIjogMX0=", "W10=", "WyJuZXdlc3QiLCBJbmZpbml0eV0=", "²"]
)
async def test_a_mangled_older_link_starts_from_the_newest(act, as_person, cursor):
    # {} / {"a": 1} / [] / ["newest", Infinity] / not base64
    keeper = await as_person(LOG_KEEPER)
    shown = await keeper.client.get(page(act), params={"aeldre": cursor})
    assert shown.status_code == 200
    assert "Du ser ældre indlæg" not in shown.text and "/live?" in shown.text


@pytest.mark.parametrize("last_event_id", ["²", "9" * 5000, "99999999999999999999"])
async def test_a_bad_last_event_id_is_ignored(act, as_person, monkeypatch, last_event_id):
    """The feed starts from ?after= instead (here a bad one too: the whole log)."""
    monkeypatch.setattr("web.live._events", _first_poll)
    reader = await as_person(AUTHORITY)
    feed = await reader.client.get(
        page(act) + "/live",
        params={"after": "²"},
        headers={"Last-Event-ID": last_event_id.encode()},
    )
    assert feed.status_code == 200
    assert "event: entry" in feed.text and 'id="indlaeg-1"' in feed.text


async def _first_poll(request, poll, allowed):  # noqa: ANN001, ANN202
    """web.live's loop cut to one poll (httpx's ASGI transport waits for a stream's end)."""
    yield (await poll()) or ""


async def test_the_badge_keeps_a_recent_check_and_the_full_check_sees_tampering_at_once(
    app, act, as_person, monkeypatch
):
    reader = await as_person(AUTHORITY)
    badge = page(act) + "/kontrol"
    htmx = {"HX-Request": "true"}
    assert "Logbogen er uændret" in (await reader.client.get(badge, headers=htmx)).text
    async with app.state.sessionmaker() as session:  # a row changed behind the service's back
        await session.exec(
            text("UPDATE log_entry SET text = 'forfalsket' WHERE seq = 1 AND activation_id = :a"),
            params={"a": act},
        )
        await session.commit()
    assert "Logbogen er uændret" in (await reader.client.get(badge, headers=htmx)).text
    assert "Logbogen er brudt" in (await reader.client.get(badge)).text  # the full check
    monkeypatch.setattr(eventlog_service, "VERIFIED_FOR", timedelta(0))
    assert "Logbogen er brudt" in (await reader.client.get(badge, headers=htmx)).text
