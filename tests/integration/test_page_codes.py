"""Page codes (`activations.pages.new_code`): a new code is free in its activation and among the
open pages of every activation, and that check is a few index lookups, not a read of every open
page (issue #18: the open pages of a national call-out are many)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import select

from beredskab.activations import pages
from beredskab.activations.models import Page, PagePurpose, PageState
from beredskab.metadata import utcnow
from beredskab.roles import Role
from beredskab.unit_of_work import transaction
from tests.factories import (
    make_activation,
    make_org,
    make_page,
    make_person,
    make_roster_entry,
)

pytestmark = pytest.mark.db

COLUMNS = Page.__table__.c  # type: ignore[attr-defined]


def _draws(monkeypatch: pytest.MonkeyPatch, *codes: int) -> None:
    """The random draws `new_code` makes: each code a whole batch of candidates, in turn."""
    drawn = iter([code - 1000 for code in codes for _ in range(pages.CANDIDATES)])
    monkeypatch.setattr(pages.secrets, "randbelow", lambda _n: next(drawn))


async def test_a_code_is_free_in_its_activation_and_among_every_open_page(db, monkeypatch):
    async with db.sessionmaker() as session:
        org = await make_org(session)
        person = await make_person(session, org.id)
        first = await make_activation(session, authority_id=org.id)
        second = await make_activation(session, authority_id=org.id)
        _draws(monkeypatch, 1234, 1235)
        await make_page(session, first, person)  # 1234, open
        await make_page(session, first, person, state=PageState.acked)  # 1235, acknowledged
    async with db.sessionmaker() as session, transaction(session):
        # 1234 is held by an open page elsewhere; 1235 only by an acknowledged one elsewhere
        _draws(monkeypatch, 1234, 1235)
        assert await pages.new_code(session, second.id) == "1235"
        # in its own activation a code is never used twice, open or not; nor twice in one
        # transaction
        _draws(monkeypatch, 1234, 1235, 1236, 1236, 1237)
        assert await pages.new_code(session, first.id) == "1236"
        assert await pages.new_code(session, first.id) == "1237"


async def test_the_first_waves_codes_are_checked_in_the_rosters_read_as_new_codes_are(
    db, monkeypatch
):
    """PostgreSQL: `start_callouts` draws the first wave's codes and checks them in its roster
    query (`taken_codes`); `new_code` then gives only the free ones, and asks again when none
    is left."""
    if db.kind != "postgresql":
        pytest.skip("the roster's read checks codes on PostgreSQL (SQLite: `new_code` asks)")
    from beredskab.crisis_staff import callout

    async with db.sessionmaker() as session:
        org = await make_org(session)
        person = await make_person(session, org.id)
        first = await make_activation(session, authority_id=org.id)
        second = await make_activation(session, authority_id=org.id)
        _draws(monkeypatch, 1234)
        await make_page(session, first, person)  # 1234, open
        await make_roster_entry(session, Role.log_keeper, person.id)
    async with db.sessionmaker() as session, transaction(session):
        _draws(monkeypatch, 1234, 1235)  # the roster's read draws 1234: taken
        rows, ids = await callout._roster_rows(session, second)
        assert len(rows) == len(ids) == 1 and rows[0][:3] == (Role.log_keeper, 0, person.id)
        assert await pages.new_code(session, second.id) == "1235"  # asked again
    async with db.sessionmaker() as session, transaction(session):
        _draws(monkeypatch, 1236, 1237)  # the roster's read draws 1236: free
        await callout._roster_rows(session, second)
        assert await pages.new_code(session, second.id) == "1236"  # no second draw


async def test_the_check_looks_codes_up_in_an_index_and_reads_no_other_open_page(db):
    """The plan of the check: on SQLite the open pages are searched by (state, code), not read
    through an index on the state alone; on PostgreSQL, once its planner would use an index at
    all (few pages in a test database), the codes are index conditions, not a filter."""
    compiled = pages._TAKEN_CODES._for(db.engine.dialect)
    async with db.engine.connect() as conn:
        if db.kind == "sqlite":
            plan = " | ".join(
                row[-1]
                for row in await conn.exec_driver_sql(
                    f"EXPLAIN QUERY PLAN {compiled.sql}", tuple(["1234"] * 16 + ["a", "open"])
                )
            )
            assert "ix_page_state_code (state=? AND code=?)" in plan, plan
            assert "(state=?)" not in plan, plan
        else:
            await conn.execute(text("SET enable_seqscan = off"))
            args = ", ".join(["'1234'"] * 16 + ["'a'", "'open'"])
            await conn.exec_driver_sql(f"PREPARE taken AS {compiled.sql}")
            plan = " | ".join(
                row[0] for row in await conn.exec_driver_sql(f"EXPLAIN EXECUTE taken({args})")
            )
            assert "code" in plan.split("Index Cond")[-1], plan
            assert "Seq Scan" not in plan, plan


async def test_a_page_inserted_as_a_row_is_stored_as_the_orm_stores_one(db):
    """`page_row` + `insert_pages` (the first wave of a call-out) and `create_page` (the ORM)
    store the same page, defaults included; the row comes back with its id, as a `NewPage`."""
    now = utcnow()
    details = {"role": "logkeeper", "rank": 2, "pass_no": 1, "expires_at": now}
    async with db.sessionmaker() as session:
        org = await make_org(session)
        person = await make_person(session, org.id)
        activation = await make_activation(session, authority_id=org.id)
    async with db.sessionmaker() as session, transaction(session):
        orm = await pages.create_page(session, activation, PagePurpose.role, person, now, **details)
        row = await pages.page_row(session, activation, PagePurpose.role, person, now, **details)
        (new,) = await pages.insert_pages(session, [row])
    assert (new.code, new.role, new.rank, new.expires_at) == (row["code"], "logkeeper", 2, now)
    async with db.sessionmaker() as session:
        stored = {
            p.id: {c.key: getattr(p, c.key) for c in COLUMNS if c.key not in ("id", "code")}
            for p in (await session.exec(select(Page))).all()
        }
    assert set(stored) == {orm.id, new.id}
    assert stored[new.id] == stored[orm.id]
    assert stored[new.id]["state"] == PageState.open
