"""Two open pages of one person never share a reply code (migration 0021,
`uq_page_open_person_code`).

A reply names its page by the code alone, sent from the person's number. `new_code` avoids the
code of every open page, but two transactions drawing at the same moment cannot see each
other's pages: before this index, the same person could get one code from two activations (the
national run saw it), and a reply went to whichever page was newest. Now the second commit
meets the index, the use case fails with `TryAgain` and nothing of it is written; the request
for an activation, the deadline runner and the drain of replies in line try again at once, an
API client gets 409.

The races themselves are made on PostgreSQL, where transactions run side by side: another
transaction commits a page with the code this one drew, between its check and its commit.
SQLite has one writer, whose transactions run one after another: there the check always sees
the other page, so no race can happen (the index and its error are tested on both)."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from beredskab.activations import pages
from beredskab.activations.models import (
    Activation,
    ActivationStatus,
    InboundSms,
    Page,
    PageState,
)
from beredskab.crisis_staff import callout
from beredskab.db import raced
from beredskab.deadlines import Deadline
from beredskab.errors import RACE_TRIES, TryAgain
from beredskab.roles import Role
from beredskab.unit_of_work import transaction
from tests.factories import bearer, make_activation, make_org, make_page, make_person
from tests.races import a_page, race_before
from tests.scenario import open_world

pytestmark = pytest.mark.db

SIDE_BY_SIDE = "a race needs two writers side by side: PostgreSQL (SQLite has one writer)"


def _draws(monkeypatch: pytest.MonkeyPatch, *codes: int) -> None:
    """The random draws `new_code` makes: each code a whole batch of candidates, in turn."""
    drawn = iter([code - 1000 for code in codes for _ in range(pages.CANDIDATES)])
    monkeypatch.setattr(pages.secrets, "randbelow", lambda _n: next(drawn))


async def _count(db, *where) -> int:
    async with db.sessionmaker() as session:
        return (await session.exec(select(func.count()).select_from(Page).where(*where))).one()


async def _one_open_page(db, monkeypatch) -> tuple:  # noqa: ANN001
    """Two people, three activations; the first person holds 1234 in the first, open."""
    async with db.sessionmaker() as session:
        org = await make_org(session)
        person = await make_person(session, org.id)
        other = await make_person(session, org.id)
        activations = [await make_activation(session, authority_id=org.id) for _ in range(3)]
        _draws(monkeypatch, 1234)
        await make_page(session, activations[0], person)  # 1234, open
    return person, other, *activations


async def test_two_open_pages_of_one_person_never_share_a_code(db, monkeypatch):
    person, other, _first, second, third = await _one_open_page(db, monkeypatch)
    # the same person, the same code, open, in another activation: refused, nothing written
    async with db.sessionmaker() as session:
        with pytest.raises(TryAgain):
            async with transaction(session):
                session.add(a_page(second.id, person.id, "1234"))
    assert await _count(db, Page.activation_id == second.id) == 0
    # a closed page may hold it, and so may another person's open page
    async with db.sessionmaker() as session, transaction(session):
        session.add(a_page(second.id, person.id, "1234", PageState.acked))
        session.add(a_page(third.id, other.id, "1234"))
    assert await _count(db, Page.code == "1234") == 3


async def test_only_the_race_is_tried_again_not_another_fault(db, monkeypatch):
    person, other, first, second, _third = await _one_open_page(db, monkeypatch)
    async with db.sessionmaker() as session:
        session.add(a_page(second.id, person.id, "1234"))
        with pytest.raises(IntegrityError) as race:
            await session.commit()
        assert raced(race.value)
    # one activation's two pages with one code: a fault (`new_code` never does it), not a race
    async with db.sessionmaker() as session:
        with pytest.raises(IntegrityError) as fault:
            async with transaction(session):
                session.add(a_page(first.id, other.id, "1234"))
        assert not raced(fault.value)


async def test_an_activation_that_meets_the_race_is_made_once_with_other_codes(db, monkeypatch):
    if db.kind != "postgresql":
        pytest.skip(SIDE_BY_SIDE)
    async with await open_world(db) as world:
        raced_pairs = race_before(monkeypatch, db.sessionmaker, callout, "insert_pages")
        made = await world.activate("steering", title="Brand")  # 201, or it fails here
        [(person_id, code)] = raced_pairs
        async with db.sessionmaker() as session:
            mine = (await session.exec(select(Page).where(Page.activation_id == made["id"]))).all()
            brand = (
                await session.exec(
                    select(func.count()).select_from(Activation).where(Activation.title == "Brand")
                )
            ).one()
        assert brand == 1  # the first try left nothing behind
        assert len(mine) == 4
        theirs = next(p for p in mine if p.person_id == person_id)
        assert theirs.code != code  # drawn again: the other page keeps its code
        # the person's two open pages can each be answered by its own code
        assert await _count(db, Page.person_id == person_id, Page.state == PageState.open) == 2


async def test_an_api_call_that_meets_the_race_is_answered_409_and_changes_nothing(db, monkeypatch):
    if db.kind != "postgresql":
        pytest.skip(SIDE_BY_SIDE)
    async with await open_world(db) as world:
        asked = await world.activate("authority")
        race_before(monkeypatch, db.sessionmaker, callout, "insert_pages")
        r = await world.client.post(
            f"/activations/{asked['id']}/endorse", headers=bearer(world.tokens["steering"])
        )
        assert r.status_code == 409, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["title"] == "Try again" and "try again" in r.json()["detail"]
        assert r.headers["retry-after"] == "0"  # told from a conflict no new try cures
        assert (await world.board(asked["id"]))["status"] == ActivationStatus.requested
        assert await _count(db, Page.activation_id == asked["id"], Page.purpose == "role") == 0
        again = await world.client.post(
            f"/activations/{asked['id']}/endorse", headers=bearer(world.tokens["steering"])
        )
        assert again.status_code == 200, again.text
        assert await _count(db, Page.activation_id == asked["id"], Page.purpose == "role") == 4


async def _paged_then_racing(world, db, monkeypatch, *, times: int = 1) -> tuple[dict, list]:  # noqa: ANN001
    """A steering member's activation, its first pages sent; the next page anyone is given
    (`create_page`) meets a race the first `times` times. (activation, raced pairs)"""
    act = await world.activate("steering")
    await world.drain()
    return act, race_before(monkeypatch, db.sessionmaker, callout, "create_page", times=times)


async def test_a_reply_in_line_that_meets_the_race_is_done_on_the_next_try(db, monkeypatch):
    if db.kind != "postgresql":
        pytest.skip(SIDE_BY_SIDE)
    async with await open_world(db) as world:
        act, raced_pairs = await _paged_then_racing(world, db, monkeypatch)
        # the log keeper's primary declines: the reply (kept in line) pages the next one
        await world.reply("log0", f"NEJ {world.last_code('log0')}")
        await world.runtime.in_line_settled()
        [(person_id, code)] = raced_pairs
        assert person_id == "log1"
        async with db.sessionmaker() as session:
            [reply] = (await session.exec(select(InboundSms))).all()
            paged = (
                await session.exec(
                    select(Page).where(Page.activation_id == act["id"], Page.person_id == "log1")
                )
            ).all()
        assert reply.outcome != "in_line" and not reply.outcome.startswith("error")
        assert len(paged) == 1 and paged[0].code != code
        sent = [m.body for m in await world.drain() if m.to == world.people["log0"].phone]
        assert sent and not any("kunne ikke behandle dit svar" in body for body in sent), sent


async def test_a_deadline_that_meets_the_race_is_done_at_once(db, monkeypatch):
    if db.kind != "postgresql":
        pytest.skip(SIDE_BY_SIDE)
    async with await open_world(db) as world:
        act, raced_pairs = await _paged_then_racing(world, db, monkeypatch)
        # the primaries' pages time out: each role's next one is paged by its deadline
        await world.later(minutes=60 * 24)
        assert len(raced_pairs) == 1
        async with db.sessionmaker() as session:
            failed = (
                await session.exec(
                    select(Deadline).where(
                        Deadline.activation_id == act["id"], Deadline.last_error.is_not(None)
                    )
                )
            ).all()
            second_wave = (
                await session.exec(
                    select(Page).where(Page.activation_id == act["id"], Page.rank == 1)
                )
            ).all()
        assert failed == []  # tried again at once: no error kept, nothing put off
        raced_person, raced_code = raced_pairs[0]
        [page] = [p for p in second_wave if p.person_id == raced_person]
        assert page.code != raced_code
        assert {p.role for p in second_wave} == set(Role)  # every role's next one paged


async def test_a_reply_that_meets_the_race_every_time_is_failed_not_left_to_block_the_line(
    db, monkeypatch
):
    """A race that keeps coming back is a fault: after `RACE_TRIES` tries in a row the reply is
    failed as any other (kept with its error, its sender asked to answer again), and the reply
    behind it is done."""
    if db.kind != "postgresql":
        pytest.skip(SIDE_BY_SIDE)
    async with await open_world(db) as world:
        _act, raced_pairs = await _paged_then_racing(world, db, monkeypatch, times=RACE_TRIES)
        await world.reply("log0", f"NEJ {world.last_code('log0')}")
        await world.reply("proc0", f"OK {world.last_code('proc0')}")
        await world.runtime.in_line_settled()
        assert len(raced_pairs) == RACE_TRIES
        async with db.sessionmaker() as session:
            outcomes = {
                r.from_number: r.outcome for r in (await session.exec(select(InboundSms))).all()
            }
        assert outcomes[world.people["log0"].phone] == "error: race"
        assert outcomes[world.people["proc0"].phone] not in ("in_line",)
        assert not outcomes[world.people["proc0"].phone].startswith("error")
        sent = [m.body for m in await world.drain() if m.to == world.people["log0"].phone]
        assert any("kunne ikke behandle dit svar" in body for body in sent), sent
