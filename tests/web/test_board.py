"""The status board over HTTP: what each role is offered and allowed, another authority's 404,
CSRF refusals that change nothing, and the reject form's reason."""

from __future__ import annotations

import re

import pytest

from beredskab.auth.identity import identity_of
from beredskab.auth.models import TokenRole
from beredskab.lifecycle import staff
from beredskab.metadata import utcnow
from beredskab.roles import Role

pytestmark = pytest.mark.db

AUTHORITY = "p075"  # Odder
OTHER_AUTHORITY = "p073"  # København
STEERING = "p012"
LEADER = "p001"  # the crisis leader's primary
LOG_KEEPER = "p003"
ADMIN = "p077"


async def _requested(as_person) -> str:  # noqa: ANN001
    """An activation requested by Odder through the overview form; its id."""
    authority = await as_person(AUTHORITY)
    answer = await authority.post(
        "/oversigt/anmod",
        {
            "title": "Vandforsyning svigter i Odder",
            "contact_name": "Frida Bak",
            "contact_phone": "20 12 34 56",
            "channels": "phone",
        },
    )
    assert answer.status_code == 303, answer.text
    return re.fullmatch(r"/aktivering/([0-9a-f-]+)", answer.headers["location"])[1]


async def _status(signed, activation_id: str) -> str:  # noqa: ANN001
    page = await signed.client.get(f"/aktivering/{activation_id}")
    assert page.status_code == 200
    return re.search(r"<dt>Status</dt>\s*<dd><span class=\"badge \w+\">(\w+)<", page.text)[1]


async def _active(as_person) -> str:  # noqa: ANN001
    activation_id = await _requested(as_person)
    steering = await as_person(STEERING)
    done = await steering.post(f"/aktivering/{activation_id}/godkend")
    assert done.status_code == 303
    return activation_id


async def _led(as_person, app) -> str:  # noqa: ANN001
    """An active activation whose crisis leader (LEADER) took the role (the API's way)."""
    activation_id = await _active(as_person)
    async with app.state.sessionmaker() as session:
        me = await identity_of(session, LEADER)
        await staff.answer_role_page_via_api(
            session,
            app.state.runtime.activation_config,
            activation_id,
            Role.crisis_leader,
            me.principal(TokenRole.crisis_staff),
            accept=True,
            now=utcnow(),
        )
    return activation_id


async def test_the_board_shows_roles_phones_and_pages_after_endorsement(as_person, demo):
    activation_id = await _active(as_person)
    steering = await as_person(STEERING)
    page = await steering.client.get(f"/aktivering/{activation_id}")
    text = page.text
    assert 'lang="da"' in text
    assert "Aktiv" in text and "Godkendt" in text and demo[STEERING]["name"] in text
    for role in ("Kriseleder", "Logfører", "Procesansvarlig", "Bemandingsansvarlig"):
        assert role in text
    assert f'href="tel:{demo[LEADER]["phone"]}"' in text  # tap to call the paged primary
    assert text.count("data-countdown=") == 4  # four role pages counting down to escalation
    assert 'sse-connect="/aktivering/' in text and 'sse-swap="board"' in text
    assert "Frida Bak" in text and 'href="tel:+4520123456"' in text  # the contact person
    assert "af Frida Bak</dd>" in text and "af Søren Madsen</dd>" in text  # named, no role
    # steering may hand over and stand down an active activation; endorse is gone
    assert "Overdrag rollen" in text and "Afslut aktiveringen" in text
    assert "Godkend aktiveringen" not in text


async def test_each_role_is_offered_only_its_own_buttons(as_person):
    activation_id = await _requested(as_person)
    offered = {}
    for person in (AUTHORITY, STEERING, LEADER, ADMIN):
        text = (await (await as_person(person)).client.get(f"/aktivering/{activation_id}")).text
        offered[person] = {
            label
            for label in ("Godkend aktiveringen", "Afvis anmodningen", "Træk anmodningen tilbage")
            if f">{label}</button>" in text
        }
    assert offered[AUTHORITY] == {"Træk anmodningen tilbage"}
    assert offered[STEERING] == {"Godkend aktiveringen", "Afvis anmodningen"}
    assert offered[LEADER] == set()
    assert offered[ADMIN] == set()


@pytest.mark.parametrize(
    ("person", "action", "data"),
    [
        (AUTHORITY, "godkend", {}),
        (LEADER, "godkend", {}),
        (ADMIN, "godkend", {}),
        (AUTHORITY, "afvis", {"reason": "Nej"}),
        (LEADER, "afvis", {"reason": "Nej"}),
        (LEADER, "annuller", {}),
    ],
)
async def test_a_wrong_role_is_refused_a_requested_activations_actions(
    as_person, person, action, data
):
    activation_id = await _requested(as_person)
    signed = await as_person(person)
    refused = await signed.post(f"/aktivering/{activation_id}/{action}", data)
    assert refused.status_code == 403
    assert "Ingen adgang" in refused.text
    assert await _status(await as_person(STEERING), activation_id) == "Anmodet"


@pytest.mark.parametrize(
    ("person", "action", "data"),
    [
        (AUTHORITY, "afslut", {"stand_down_confirm": "ja"}),
        # crisis staff, but not this activation's crisis leader
        (LOG_KEEPER, "afslut", {"stand_down_confirm": "ja"}),
        (AUTHORITY, "overdrag", {"role": "log_keeper", "person_id": "p004"}),
        (LOG_KEEPER, "overdrag", {"role": "log_keeper", "person_id": "p004"}),
        (AUTHORITY, "annuller", {}),  # too late: only while requested (409)
    ],
)
async def test_a_wrong_role_is_refused_an_active_activations_actions(
    as_person, person, action, data
):
    activation_id = await _active(as_person)
    signed = await as_person(person)
    refused = await signed.post(f"/aktivering/{activation_id}/{action}", data)
    assert refused.status_code == (409 if action == "annuller" else 403)
    board = (await (await as_person(STEERING)).client.get(f"/aktivering/{activation_id}")).text
    assert await _status(await as_person(STEERING), activation_id) == "Aktiv"
    row = re.search(r'<tr data-role="log_keeper">.*?</tr>', board, re.S)[0]
    assert "Tove Nielsen" not in row  # p004 was not handed the role


async def test_the_crisis_leader_may_hand_over_and_stand_down(as_person, app, demo):
    activation_id = await _led(as_person, app)
    leader = await as_person(LEADER)
    text = (await leader.client.get(f"/aktivering/{activation_id}")).text
    assert "Overdrag rollen" in text and "Afslut aktiveringen" in text
    moved = await leader.post(
        f"/aktivering/{activation_id}/overdrag",
        {"role": "log_keeper", "person_id": "p004", "handover_reason": "Emil er syg"},
    )
    assert moved.status_code == 303
    board = (await leader.client.get(f"/aktivering/{activation_id}")).text
    row = re.search(r'<tr data-role="log_keeper">.*?</tr>', board, re.S)[0]
    assert demo["p004"]["name"] in row and "Besat" in row
    ended = await leader.post(
        f"/aktivering/{activation_id}/afslut",
        {"reason": "Vandet er tilbage", "stand_down_confirm": "ja"},
    )
    assert ended.status_code == 303
    assert await _status(leader, activation_id) == "Afsluttet"


async def test_standing_down_needs_its_checkbox_ticked(as_person):
    activation_id = await _active(as_person)
    steering = await as_person(STEERING)
    page = (await steering.client.get(f"/aktivering/{activation_id}")).text
    assert 'name="stand_down_confirm"' in page
    again = await steering.post(
        f"/aktivering/{activation_id}/afslut", {"reason": "Vandet er tilbage"}
    )
    assert again.status_code == 422
    assert 'id="stand_down_confirm-fejl">Sæt kryds for at bekræfte' in again.text
    assert ">Vandet er tilbage</textarea>" in again.text  # what was typed is kept
    assert await _status(steering, activation_id) == "Aktiv"
    ended = await steering.post(
        f"/aktivering/{activation_id}/afslut",
        {"reason": "Vandet er tilbage", "stand_down_confirm": "ja"},
    )
    assert ended.status_code == 303
    assert await _status(steering, activation_id) == "Afsluttet"


async def test_a_handover_without_a_person_is_shown_again(as_person):
    activation_id = await _active(as_person)
    steering = await as_person(STEERING)
    again = await steering.post(
        f"/aktivering/{activation_id}/overdrag", {"role": "log_keeper", "person_id": ""}
    )
    assert again.status_code == 422
    assert 'id="person_id-fejl">Vælg en person.<' in again.text


async def test_another_authority_gets_404_on_the_board_the_live_feed_and_the_actions(as_person):
    activation_id = await _requested(as_person)
    other = await as_person(OTHER_AUTHORITY)
    for path in ("", "/live"):
        answer = await other.client.get(f"/aktivering/{activation_id}{path}")
        assert answer.status_code == 404
        assert "Siden findes ikke" in answer.text
    cancelled = await other.post(f"/aktivering/{activation_id}/annuller")
    assert cancelled.status_code == 404
    assert await _status(await as_person(STEERING), activation_id) == "Anmodet"


async def test_an_unknown_activation_is_404(as_person):
    steering = await as_person(STEERING)
    assert (await steering.client.get("/aktivering/nope")).status_code == 404
    assert (await steering.client.get("/aktivering/nope/live")).status_code == 404


async def test_the_live_feed_needs_a_session(as_person, client):
    activation_id = await _requested(as_person)
    answer = await client.get(f"/aktivering/{activation_id}/live")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


@pytest.mark.parametrize("action", ["godkend", "afvis", "afslut", "overdrag"])
async def test_a_form_without_csrf_is_refused_and_changes_nothing(as_person, action):
    activation_id = await _requested(as_person)
    steering = await as_person(STEERING)
    refused = await steering.client.post(
        f"/aktivering/{activation_id}/{action}", data={"reason": "Nej"}
    )
    assert refused.status_code == 403
    assert "Formularen blev afvist" in refused.text
    assert await _status(steering, activation_id) == "Anmodet"


async def test_reject_needs_a_reason_and_then_tells_it(as_person):
    activation_id = await _requested(as_person)
    steering = await as_person(STEERING)
    again = await steering.post(f"/aktivering/{activation_id}/afvis", {"reason": "  "})
    assert again.status_code == 422
    assert 'id="reject_reason-fejl">Skal udfyldes.<' in again.text
    assert 'aria-invalid="true"' in again.text
    assert await _status(steering, activation_id) == "Anmodet"
    done = await steering.post(
        f"/aktivering/{activation_id}/afvis", {"reason": "Kommunen klarer det selv."}
    )
    assert done.status_code == 303
    text = (await steering.client.get(f"/aktivering/{activation_id}")).text
    assert "Afvist" in text and "Kommunen klarer det selv." in text


OFF_ROSTER = "p076"  # in the directory, on no roster, in no group: no role of their own


async def test_the_crisis_leader_adds_and_removes_a_log_delegate_who_then_writes(
    as_person, app, demo
):
    activation_id = await _led(as_person, app)
    board = f"/aktivering/{activation_id}"
    log = f"{board}/logbog"
    name = demo[OFF_ROSTER]["name"]
    leader = await as_person(LEADER)
    shown = (await leader.client.get(board)).text
    assert "Logførere ud over rollerne" in shown and f'value="{OFF_ROSTER}"' in shown
    empty = await leader.post(f"{board}/logfoerere", {"delegate_person_id": ""})
    assert empty.status_code == 422 and "Vælg en person." in empty.text
    added = await leader.post(f"{board}/logfoerere", {"delegate_person_id": OFF_ROSTER})
    assert added.status_code == 303
    again = await leader.post(f"{board}/logfoerere", {"delegate_person_id": OFF_ROSTER})
    assert again.status_code == 422 and "kan allerede skrive i logbogen" in again.text

    delegate = await as_person(OFF_ROSTER)  # a role now: crisis staff, while the log is open
    assert "Nyt indlæg" in (await delegate.client.get(log)).text
    wrote = await delegate.post(log, {"kind": "note", "text": "Ekstra logfører skriver"})
    assert wrote.status_code == 303
    steering = await as_person(STEERING)  # sees the list, may not change it
    seen = (await steering.client.get(board)).text
    assert name in seen.split("Logførere ud over rollerne")[1]
    assert "Tilføj logfører" not in seen and f"logfoerere/{OFF_ROSTER}/fjern" not in seen
    assert (await steering.post(f"{board}/logfoerere/{OFF_ROSTER}/fjern")).status_code == 403
    timeline = (await leader.client.get(log)).text
    assert "Logfører tilføjet" in timeline

    removed = await leader.post(f"{board}/logfoerere/{OFF_ROSTER}/fjern")
    assert removed.status_code == 303
    after = (await leader.client.get(board)).text.split("Logførere ud over rollerne")[1]
    assert f"logfoerere/{OFF_ROSTER}/fjern" not in after and "Ingen." in after
    refused = await delegate.post(log, {"kind": "note", "text": "Nu ikke mere"})
    assert refused.status_code == 403  # no role any more: refused, nothing written
    assert "Nu ikke mere" not in (await leader.client.get(log)).text


async def test_an_endorsement_that_meets_a_reply_code_race_says_try_again_and_changes_nothing(
    as_person, app, db, monkeypatch
):
    """PostgreSQL: another transaction gave the crisis leader's primary the same reply code at
    the same moment (tests/races.py): the console says "Prøv igen" (409), the activation is
    still waiting; the second click endorses it."""
    if db.kind != "postgresql":
        pytest.skip("a race needs two writers side by side: PostgreSQL (SQLite has one writer)")
    from beredskab.crisis_staff import callout
    from tests.races import race_before

    activation_id = await _requested(as_person)
    steering = await as_person(STEERING)
    raced = race_before(monkeypatch, app.state.sessionmaker, callout, "insert_pages")
    first = await steering.post(f"/aktivering/{activation_id}/godkend")
    assert first.status_code == 409 and len(raced) == 1
    assert "<h1>Prøv igen</h1>" in first.text and "Intet er ændret." in first.text
    assert await _status(steering, activation_id) == "Anmodet"
    again = await steering.post(f"/aktivering/{activation_id}/godkend")
    assert again.status_code == 303
    assert await _status(steering, activation_id) == "Aktiv"
