"""Action cards written after the endorsement's commit (#18): from a due row that commit writes,
once, by the process that committed it (after its pages) or, if that process died in between,
by a worker."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, update
from sqlmodel import select

from beredskab.activations.models import ActionTask, Activation
from beredskab.crisis_staff import action_cards
from beredskab.crisis_staff.action_cards import CARDS_GRACE
from beredskab.deadlines import Deadline, DeadlineStatus
from beredskab.metadata import utcnow
from beredskab.roles import Role
from beredskab.unit_of_work import after_commit
from tests.factories import bearer
from tests.scenario import open_world

pytestmark = pytest.mark.db


def _card_items(world) -> int:
    playbook = world.runtime.activation_config.playbook
    return sum(len(playbook.roles[role].action_card) for role in Role)


async def _cards(world, activation_id: str) -> tuple[int, list[str]]:
    """How many cards the activation has, and the states of its cards' due rows."""
    async with world.runtime.sessionmaker() as session:
        tasks = (
            await session.exec(
                select(func.count()).where(ActionTask.activation_id == activation_id)
            )
        ).one()
        rows = await session.exec(
            select(Deadline.status).where(
                Deadline.activation_id == activation_id,
                Deadline.kind == action_cards.ACTION_CARDS,
            )
        )
        return tasks, list(rows.all())


async def test_an_endorsement_writes_its_cards_once_after_its_commit(db):
    async with await open_world(db) as world:
        act = await world.activate("steering")
        assert await _cards(world, act["id"]) == (_card_items(world), ["done"])
        tasks = await world.client.get(
            f"/activations/{act['id']}/tasks", headers=bearer(world.tokens["steering"])
        )
        assert len(tasks.json()) == _card_items(world)  # there when the request has answered


async def test_an_endorsement_by_sms_reply_writes_the_cards(db):
    async with await open_world(db) as world:
        act = await world.activate("authority")
        await world.drain()
        assert await _cards(world, act["id"]) == (0, [])
        await world.reply("steer0", f"OK {world.last_code('steer0')}")
        assert (await world.board(act["id"]))["status"] == "active"
        assert await _cards(world, act["id"]) == (_card_items(world), ["done"])


async def test_cards_a_dead_process_left_are_written_by_a_worker_once(db, caplog):
    async with await open_world(db) as world:
        act = await world.activate("authority")  # requested: no cards until it is endorsed
        cfg = world.runtime.activation_config
        async with world.runtime.sessionmaker() as session:
            activation = await session.get(Activation, act["id"])
            action_cards.instantiate(session, cfg.playbook, activation, utcnow())
            await session.commit()  # and the process dies: the work after it never runs
            assert await _cards(world, act["id"]) == (0, ["pending"])

            await world.runtime.tick()  # not yet due: the process might still be at it
            assert await _cards(world, act["id"]) == (0, ["pending"])
            await world.runtime.tick(now=utcnow() + CARDS_GRACE)  # a worker's tick: due
            assert await _cards(world, act["id"]) == (_card_items(world), ["done"])

            caplog.clear()
            await after_commit(session)  # the work runs after all, late: it finds no row
            assert await _cards(world, act["id"]) == (_card_items(world), ["done"])
            # and writes nothing: not a second set refused by the unique key and logged
            assert "work left for after a commit failed" not in caplog.text


async def test_a_stand_down_before_the_cards_are_written_keeps_their_row(db):
    async with await open_world(db) as world:
        act = await world.activate("steering")
        async with world.runtime.sessionmaker() as session:  # as if its process had died
            await session.exec(delete(ActionTask).where(ActionTask.activation_id == act["id"]))
            await session.exec(
                update(Deadline)
                .where(Deadline.kind == action_cards.ACTION_CARDS)
                .values(status=DeadlineStatus.pending, done_at=None)
            )
            await session.commit()
        r = await world.client.post(
            f"/activations/{act['id']}/stand-down",
            json={},
            headers=bearer(world.tokens["steering"]),
        )
        assert r.status_code == 200, r.text
        assert await _cards(world, act["id"]) == (0, ["pending"])  # not cancelled with the rest
        await world.runtime.tick(now=utcnow() + CARDS_GRACE)
        assert await _cards(world, act["id"]) == (_card_items(world), ["done"])


async def test_a_worker_never_writes_a_second_set_of_cards(db):
    async with await open_world(db) as world:
        act = await world.activate("steering")
        async with world.runtime.sessionmaker() as session:  # a second row for the same cards
            session.add(
                Deadline(kind=action_cards.ACTION_CARDS, activation_id=act["id"], due_at=utcnow())
            )
            await session.commit()
        await world.runtime.tick()
        assert await _cards(world, act["id"]) == (_card_items(world), ["done", "done"])
