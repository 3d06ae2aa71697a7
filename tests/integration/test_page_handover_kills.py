"""Durability of the pages a server sends right after its own commit (#18): an SMS due now is
written already claimed by the process that commits it and handed to its dispatcher at once.
An API server SIGKILLed at random points while activations come in (before, during and after
those sends, and the action cards written after them), restarted, killed again, then a worker
left to finish: every page of every activation that was created goes out, an activation is all
there or not at all, its action cards are written once, and a page goes out twice only if the
provider had accepted it and its mark was not yet written at a kill.
(With activations coming in, a mark waits its turn for the writer: more than the dispatcher's
four sends can be accepted-but-unmarked at a kill, unlike a lone worker's.)"""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import sys
from collections import Counter

import httpx
import pytest
from sqlmodel import select

from beredskab.activations.models import ActionTask, Activation, Page
from beredskab.crisis_staff.action_cards import ACTION_CARDS
from beredskab.deadlines import Deadline, DeadlineStatus
from beredskab.outbox import Channel, OutboxMessage, OutboxStatus
from tests.factories import demo_config
from tests.integration.test_worker_crash import (
    ROOT,
    _start_worker,
    _worker_env,
)
from tests.twilio_mock import TwilioMock

KILLS = 3
CARD_ITEMS = sum(len(card.action_card) for card in demo_config().playbook.roles.values())
BODY = {
    "title": "Nedbrud",
    "contact_name": "A",
    "contact_phone": "20123456",
    "authority_id": "odder",
}


def _cli(env: dict[str, str], *args: str) -> str:
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "beredskab", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


async def _start_server(env: dict[str, str], port: int) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "beredskab",
        "serve",
        "--port",
        str(port),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            try:
                if (await client.get(f"http://127.0.0.1:{port}/openapi.json")).status_code == 200:
                    return proc
            except httpx.HTTPError:
                await asyncio.sleep(0.05)
    proc.kill()
    raise RuntimeError("server did not start")


async def _sms_rows(db) -> list[OutboxMessage]:
    async with db.sessionmaker() as s:
        rows = await s.exec(select(OutboxMessage).where(OutboxMessage.channel == Channel.sms))
        return list(rows.all())


async def _cards_due(db) -> list[Deadline]:
    """The action cards' due rows not yet done."""
    async with db.sessionmaker() as s:
        rows = await s.exec(
            select(Deadline).where(
                Deadline.kind == ACTION_CARDS, Deadline.status != DeadlineStatus.done
            )
        )
        return list(rows.all())


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
async def test_server_killed_around_its_own_sends_loses_no_page_and_doubles_only_in_flight(db):
    rng = random.Random(1818)  # fixed: the same kill points on every run
    with TwilioMock() as mock:
        mock.delay_s = 0.02  # sends take a moment: kills land before, during and after them
        env = _worker_env(db.url, mock)
        _cli(env, "directory", "import", "data/ddh_directory.yaml")
        steering = _cli(env, "token", "create", "steering", "--person", "p012").splitlines()[-1]
        orphans_per_kill: list[int] = []
        for _ in range(KILLS):
            port = _free_port()
            server = await _start_server(env, port)
            try:
                async with httpx.AsyncClient(
                    headers={"Authorization": f"Bearer {steering}"}, timeout=5
                ) as client:
                    url = f"http://127.0.0.1:{port}/activations"
                    (await client.post(url, json=BODY)).raise_for_status()  # warm
                    posts = []
                    for _ in range(8):
                        posts.append(asyncio.create_task(client.post(url, json=BODY)))
                        await asyncio.sleep(0.01)
                    await asyncio.sleep(rng.uniform(0.0, 0.1))  # kill at a random moment
                    server.send_signal(signal.SIGKILL)
                    await server.wait()
                    await asyncio.gather(*posts, return_exceptions=True)
            finally:
                if server.returncode is None:
                    server.kill()
                    await server.wait()
            await asyncio.sleep(10 * mock.delay_s)  # requests already at the mock finish
            accepted = Counter(m["To"] + m["Body"][:40] for m in mock.messages)
            unmarked = [r for r in await _sms_rows(db) if r.status != OutboxStatus.sent]
            orphans = sum(1 for r in unmarked if accepted[r.recipient + r.body[:40]] > 0)
            orphans_per_kill.append(orphans)

        worker = await _start_worker(env)  # lease 1 s: it claims what the dead servers held
        try:
            for _ in range(1500):
                rows = await _sms_rows(db)
                if (
                    rows
                    and all(r.status == OutboxStatus.sent for r in rows)
                    and not await _cards_due(db)
                ):
                    break
                await asyncio.sleep(0.02)
        finally:
            worker.send_signal(signal.SIGTERM)
            _, err = await worker.communicate()

    rows = await _sms_rows(db)
    assert rows, "no activation was created before the kills"
    assert all(r.status == OutboxStatus.sent for r in rows), err.decode()[-2000:]
    async with db.sessionmaker() as s:
        activations = list((await s.exec(select(Activation))).all())
        pages = list((await s.exec(select(Page))).all())
        tasks = list((await s.exec(select(ActionTask))).all())
    # one transaction: every activation that exists has its four primaries paged, and each
    # page its SMS
    for activation in activations:
        own = [p for p in pages if p.activation_id == activation.id]
        assert len(own) == 4, activation.ref
        assert {r.page_id for r in rows if r.activation_id == activation.id} >= {p.id for p in own}
    # the action cards, written after the commit (or by the worker, for a server killed before
    # it could): every activation has its cards once, none is left due
    assert not await _cards_due(db)
    # (a second set cannot be written: the unique key on (activation, role, position))
    per_activation = Counter(t.activation_id for t in tasks)
    assert {per_activation[a.id] for a in activations} == {CARD_ITEMS}
    sent = Counter(m["To"] + m["Body"][:40] for m in mock.messages)
    for row in rows:
        assert sent[row.recipient + row.body[:40]] >= 1, f"{row.recipient}: lost"
    doubled = sum(sent[r.recipient + r.body[:40]] - 1 for r in rows)
    print(
        "DEBUG", len(activations), orphans_per_kill, doubled, len(mock.messages), rows[0].body[:60]
    )
    assert doubled <= sum(orphans_per_kill)
    assert len(activations) > KILLS, "the kills came before any burst was taken in"
