"""The unit of work: one commit per use case, and the dispatcher woken after exactly those commits
that queued a message (the one place that wakes it; no route does)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from beredskab import staged
from beredskab.activations.models import Activation
from beredskab.db import make_sessionmaker
from beredskab.deadlines import Deadline, DeadlineStatus
from beredskab.directory.models import SteeringMember
from beredskab.metadata import utcnow
from beredskab.outbox import OutboxMessage, enqueue_sms, stage_sms
from beredskab.unit_of_work import after_commit_of_messages, later, transaction
from notifications.dispatcher import Dispatcher
from notifications.fake_gateway import FakeGateway
from tests.factories import make_activation, make_org, make_page, make_person, make_token

pytestmark = pytest.mark.db


@pytest.fixture
def kicks(db):
    woken: list[int] = []
    maker = after_commit_of_messages(make_sessionmaker(db.engine), lambda: woken.append(1))
    return maker, woken


async def test_a_commit_that_queued_a_message_wakes_the_dispatcher_once(kicks):
    maker, woken = kicks
    async with maker() as session, transaction(session):
        enqueue_sms(session, "+4550000001", "a")
        enqueue_sms(session, "+4550000002", "b")
    assert woken == [1]


async def test_a_commit_without_messages_does_not_wake_it(kicks):
    maker, woken = kicks
    async with maker() as session, transaction(session):
        await make_org(session)  # commits inside: a write, but no message
    async with maker() as session, transaction(session):
        pass
    assert woken == []


async def test_a_rolled_back_message_neither_wakes_it_nor_stays(kicks):
    maker, woken = kicks
    with pytest.raises(RuntimeError):
        async with maker() as session, transaction(session):
            enqueue_sms(session, "+4550000003", "c")
            await session.flush()  # the row reached the database inside the transaction
            raise RuntimeError("the use case failed after queueing")
    assert woken == []
    async with maker() as session:
        assert (await session.exec(select(OutboxMessage))).all() == []
    # and the flag does not leak into the session's next, message-free, commit
    async with maker() as session:
        enqueue_sms(session, "+4550000004", "d")
        await session.flush()
        await session.rollback()
        await session.commit()
    assert woken == []


async def test_each_sessionmaker_keeps_its_own_hook(db, kicks):
    maker, woken = kicks
    other: list[int] = []
    second = after_commit_of_messages(make_sessionmaker(db.engine), lambda: other.append(1))
    async with second() as session, transaction(session):
        enqueue_sms(session, "+4550000005", "e")
    assert (woken, other) == ([], [1])


async def test_an_activation_request_through_the_api_wakes_the_dispatcher(app, client):
    runtime = app.state.runtime
    async with runtime.sessionmaker() as session:
        token = await make_token(session, "authority")
        ddh = await make_org(session)
        member = await make_person(session, ddh.id)
        session.add(SteeringMember(person_id=member.id, position=1))
        await session.commit()
    wake = runtime.dispatcher._kick  # no dispatcher loop runs in this test to clear it
    wake.clear()
    response = await client.post(
        "/activations",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "title": "Vandforsyning",
            "contact_name": "Kim Hansen",
            "contact_phone": "+4550999999",
        },
    )
    assert response.status_code == 201, response.text
    assert wake.is_set(), "the request paged the steering group: the dispatcher must be woken"


@pytest.fixture
async def handing(db):
    """A sessionmaker whose commits hand SMS born claimed to a real dispatcher (fake gateway)."""
    maker = make_sessionmaker(db.engine)
    gateway = FakeGateway()
    async with httpx.AsyncClient() as http:
        dispatcher = Dispatcher(
            maker,
            gateway,
            status_callback_url=None,
            rate_per_second=1000,
            http=http,
            lease=timedelta(seconds=30),
        )
        woken: list[int] = []
        after_commit_of_messages(
            maker,
            lambda: woken.append(1),
            birth_lease=dispatcher.birth_lease,
            take=dispatcher.take,
        )
        dispatcher.hands_over = True

        async def settle() -> None:
            while dispatcher._taken:  # noqa: SLF001 - wait for the sends the commit started
                await asyncio.sleep(0.01)

        yield maker, gateway, woken, settle


async def test_an_sms_committed_where_the_dispatcher_runs_is_sent_without_a_pass(handing):
    maker, gateway, woken, settle = handing
    async with maker() as session, transaction(session):
        enqueue_sms(session, "+4550000011", "straks")
        await session.flush()
        row = (await session.exec(select(OutboxMessage))).one()
        # born claimed, in the use case's own transaction
        assert (row.status, row.attempts, row.lease_until is not None) == ("sending", 1, True)
    await settle()
    assert [s.to for s in gateway.sent] == ["+4550000011"]
    assert woken == []  # nothing left for a pass
    async with maker() as session:
        row = (await session.exec(select(OutboxMessage))).one()
        assert (row.status, row.attempts, row.lease_until) == ("sent", 1, None)


async def test_an_sms_born_claimed_but_rolled_back_is_never_sent(handing):
    maker, gateway, woken, settle = handing
    with pytest.raises(RuntimeError):
        async with maker() as session, transaction(session):
            enqueue_sms(session, "+4550000012", "aldrig")
            await session.flush()
            raise RuntimeError("the use case failed after queueing")
    await settle()
    assert gateway.sent == []
    async with maker() as session:
        assert (await session.exec(select(OutboxMessage))).all() == []


async def test_an_sms_due_later_is_left_pending_for_a_pass(handing):
    maker, gateway, woken, settle = handing
    async with maker() as session, transaction(session):
        row = enqueue_sms(session, "+4550000013", "senere")
        row.next_attempt_at = utcnow() + timedelta(minutes=5)
    await settle()
    assert gateway.sent == []
    assert woken == [1]
    async with maker() as session:
        assert (await session.exec(select(OutboxMessage))).one().status == "pending"


async def test_no_more_than_a_batch_is_born_claimed_the_rest_waits_pending(handing):
    # a claimed row is beyond a stand-down's reach: no more wait for the rate limit than a pass
    # would claim (the dispatcher's batch, 20)
    maker, gateway, woken, settle = handing
    async with maker() as session, transaction(session):
        for n in range(25):
            enqueue_sms(session, f"+45500001{n:02d}", f"nr. {n}")
    await settle()
    assert len(gateway.sent) == 20
    assert woken == [1]
    async with maker() as session:
        statuses = [r.status for r in (await session.exec(select(OutboxMessage))).all()]
    assert sorted(statuses).count("pending") == 5


async def test_a_commit_that_fails_leaves_nothing_for_the_sessions_next_one(db):
    """The staged rows are written as the commit begins; when one of them fails, the rows
    written before it must not stay in an open transaction for the session's next commit to
    keep (a retry loop reuses its session: `request_activation`)."""
    maker = make_sessionmaker(db.engine)
    async with maker() as session:
        known = await make_activation(session)
    table = Activation.__table__  # type: ignore[attr-defined]
    fresh = {c.key: getattr(known, c.key) for c in table.c}
    fresh.update(id=f"{known.id}-2", ref=f"{known.ref}-2")
    broken = {  # a deadline without its creation time: refused by NOT NULL at the commit
        "kind": "x",
        "activation_id": known.id,
        "subject_id": None,
        "due_at": utcnow(),
        "status": DeadlineStatus.pending,
        "lease_until": None,
        "attempts": 0,
        "last_error": None,
        "created_at": None,
        "done_at": None,
    }
    async with maker() as session:
        with pytest.raises(IntegrityError):
            async with transaction(session):
                staged.stage(session, table, fresh)
                staged.stage(session, Deadline.__table__, broken)  # type: ignore[attr-defined]
        async with transaction(session):  # the session goes on, as a retry would
            pass
    async with maker() as session:
        assert [a.id for a in (await session.exec(select(Activation))).all()] == [known.id]


# --- work left for after the commit (`later`) ---------------------------------------------------


def _leave(session, done: list[str], name: str, *, fail: bool = False) -> None:
    """Leave work for after the commit that writes an SMS in its own transaction (`name`)."""

    async def work(session) -> None:
        async with transaction(session):
            if fail:
                raise RuntimeError("the work failed")
            enqueue_sms(session, "+4550000099", name)
        done.append(name)

    later(session, work)


async def test_work_left_for_later_runs_after_the_commit_in_a_transaction_of_its_own(db):
    maker = make_sessionmaker(db.engine)
    done: list[str] = []
    async with maker() as session:
        async with transaction(session):
            enqueue_sms(session, "+4550000021", "først")
            _leave(session, done, "bagefter")
            assert done == []  # not inside the use case's transaction
        # the use case has returned: its work has run, after its commit
        assert done == ["bagefter"]
    async with maker() as session:
        bodies = (await session.exec(select(OutboxMessage.body).order_by(OutboxMessage.id))).all()
    assert bodies == ["først", "bagefter"]


async def test_work_left_for_later_is_dropped_with_a_rollback(db):
    maker = make_sessionmaker(db.engine)
    done: list[str] = []
    async with maker() as session:
        with pytest.raises(RuntimeError):
            async with transaction(session):
                _leave(session, done, "aldrig")
                raise RuntimeError("the use case failed")
        async with transaction(session):  # the session's next use case runs no stale work
            pass
    assert done == []
    async with maker() as session:
        assert (await session.exec(select(OutboxMessage))).all() == []


async def test_work_left_for_later_that_fails_is_logged_not_raised(db, caplog):
    maker = make_sessionmaker(db.engine)
    done: list[str] = []
    async with maker() as session, transaction(session):
        enqueue_sms(session, "+4550000022", "brugstilfældet")
        _leave(session, done, "fejler", fail=True)
        _leave(session, done, "næste")  # one failure stops no other
    assert done == ["næste"]
    assert "a worker does it later" in caplog.text
    async with maker() as session:
        bodies = (await session.exec(select(OutboxMessage.body).order_by(OutboxMessage.id))).all()
    assert bodies == ["brugstilfældet", "næste"]  # the use case stays committed


async def test_work_left_for_later_waits_for_the_pages_handed_over(handing):
    """Where the dispatcher runs, a commit's pages leave first; its work follows them, in a
    session of the dispatcher's, and the use case does not wait for it."""
    maker, gateway, woken, settle = handing
    async with maker() as session:
        activation = await make_activation(session)
        person = await make_person(session, activation.authority_id)
        page = await make_page(session, activation, person)
    done: list[str] = []
    sent_when_work_ran: list[list[str]] = []

    async def look(session) -> None:
        sent_when_work_ran.append([s.body for s in gateway.sent])

    async with maker() as session:
        async with transaction(session):
            stage_sms(session, person.phone, "siden", activation_id=activation.id, page_id=page.id)
            later(session, look)
            _leave(session, done, "kortene")
        assert done == []  # the use case returned first: its work goes with the sends
    await settle()
    assert sent_when_work_ran == [["siden"]]  # the page was with the gateway before it ran
    assert done == ["kortene"]
    async with maker() as session:
        bodies = (await session.exec(select(OutboxMessage.body).order_by(OutboxMessage.id))).all()
    assert bodies == ["siden", "kortene"]


async def test_a_stopping_dispatcher_waits_for_the_work_that_follows_its_last_pages(db):
    """The work after the pages starts once they are sent; a dispatcher told to stop while
    they are being sent still waits for that work, started after the stop."""
    maker = make_sessionmaker(db.engine)
    sending, release, work_running, work_release = (asyncio.Event() for _ in range(4))
    done: list[str] = []

    class HeldGateway(FakeGateway):
        async def send(self, to, body, *, callback_url=None):  # noqa: ANN001, ANN201
            sending.set()
            await release.wait()
            return await super().send(to, body, callback_url=callback_url)

    async def work(session) -> None:  # noqa: ANN001
        work_running.set()
        await work_release.wait()
        done.append("arbejdet")

    async with maker() as session:
        activation = await make_activation(session)
        person = await make_person(session, activation.authority_id)
        page = await make_page(session, activation, person)
    async with httpx.AsyncClient() as http:
        dispatcher = Dispatcher(
            maker, HeldGateway(), status_callback_url=None, rate_per_second=1000, http=http
        )
        after_commit_of_messages(
            maker, lambda: None, birth_lease=dispatcher.birth_lease, take=dispatcher.take
        )
        dispatcher.hands_over = True
        stop = asyncio.Event()
        runner = asyncio.create_task(dispatcher.run(stop, 0.05))
        async with maker() as session, transaction(session):
            stage_sms(session, person.phone, "siden", activation_id=activation.id, page_id=page.id)
            later(session, work)
        await sending.wait()
        stop.set()
        dispatcher.kick()
        await asyncio.sleep(0.1)  # the loop has seen the stop and waits for the send under way
        release.set()
        await work_running.wait()  # started after the stop
        await asyncio.sleep(0.1)
        assert not runner.done()  # still waiting for it
        work_release.set()
        await asyncio.wait_for(runner, 5)
    assert done == ["arbejdet"]
