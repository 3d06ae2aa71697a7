"""The log keeper's timeline: entries, corrections, tamper evidence, queries, exports, archive."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError

from beredskab.auth import lookup
from beredskab.auth.lookup import TokenLookup
from beredskab.crisis_staff.log_writers import refusals
from beredskab.errors import InvalidInput
from beredskab.eventlog.appender import LogAppender
from beredskab.eventlog.schemas import LogEntryCreate
from beredskab.metadata import utcnow
from tests.factories import bearer
from tests.scenario import open_world


@pytest.fixture
async def world(db):
    """An active activation whose crisis leader is leader0 and log keeper log0; the leader has
    made log1 a delegate: the three may write in its log."""
    async with await open_world(db) as w:
        w.act = await w.staffed_activation()
        await w.add_delegate(w.act["id"], "log1")
        await w.drain()
        yield w


def _log_url(world) -> str:
    return f"/activations/{world.act['id']}/log"


async def _write(world, token="log0", **body):
    payload = {"kind": "note", "text": "Notat"}
    payload.update(body)
    return await world.client.post(
        _log_url(world), json=payload, headers=bearer(world.tokens[token])
    )


async def _verify(world) -> dict:
    r = await world.client.get(_log_url(world) + "/verify", headers=bearer(world.tokens["admin"]))
    assert r.status_code == 200
    return r.json()


async def test_manual_entry_takes_author_and_recorded_at_from_the_server(world):
    earlier = (datetime.now(UTC) - timedelta(minutes=30)).isoformat()
    r = await _write(
        world,
        kind="decision",
        text="Vi åbner chatten kl. 14",
        occurred_at=earlier,
        source={"who": "Frida Bak", "channel": "telefon"},
        tags=["kanal"],
    )
    assert r.status_code == 201, r.text
    entry = r.json()
    assert entry["actor"].startswith("Navn log0")
    assert entry["occurred_at"] < entry["recorded_at"]
    assert entry["data"] == {
        "source": {"who": "Frida Bak", "channel": "telefon"},
        "tags": ["kanal"],
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "x" * 4001}, "text"),
        ({"occurred_at": "2999-01-01T00:00:00+00:00"}, "occurred_at"),
        ({"occurred_at": "2026-01-01T00:00:00"}, "occurred_at"),
        ({"kind": "gossip"}, "kind"),
        ({"corrects": 999}, "corrects"),
        ({"corrects": 0}, "corrects"),
        ({"tags": [""]}, "tags"),
        ({"surprise": 1}, "surprise"),
    ],
)
async def test_bad_entry_is_422_naming_the_field_and_changes_nothing(world, body, field):
    before = await _verify(world)
    r = await _write(world, **body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in {e["field"] for e in r.json()["errors"]}
    assert (await _verify(world))["entries"] == before["entries"]


async def test_correcting_a_seq_of_another_activation_is_refused(world):
    other = await world.activate("steering", title="Anden hændelse")
    for n in range(3):
        await world.client.post(
            f"/activations/{other['id']}/log",
            json={"kind": "note", "text": str(n)},
            headers=bearer(world.tokens["log0"]),
        )
    ours = (await _verify(world))["entries"]
    r = await _write(world, corrects=ours + 2)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "corrects"


async def test_a_correction_supersedes_and_links_both_ways(world):
    wrong = (await _write(world, text="Vandværket lukker kl. 12")).json()
    fix = (await _write(world, text="Rettelse: kl. 14", corrects=wrong["seq"])).json()
    entries = (
        await world.client.get(_log_url(world), headers=bearer(world.tokens["authority"]))
    ).json()["entries"]
    by_seq = {e["seq"]: e for e in entries}
    assert by_seq[wrong["seq"]]["superseded"] is True
    assert by_seq[wrong["seq"]]["corrected_by"] == [fix["seq"]]
    assert by_seq[fix["seq"]]["corrects"] == wrong["seq"]
    for method in ("put", "patch", "delete"):
        r = await world.client.request(
            method, f"{_log_url(world)}/{wrong['seq']}", headers=bearer(world.tokens["admin"])
        )
        assert r.status_code in (404, 405)


async def test_tampering_with_text_or_deleting_a_row_is_reported(world, db):
    for n in range(5):
        await _write(world, text=f"post {n}")
    assert (await _verify(world))["ok"] is True
    async with db.engine.begin() as conn:
        await conn.execute(
            text("UPDATE log_entry SET text = 'forfalsket' WHERE seq = 7 AND activation_id = :a"),
            {"a": world.act["id"]},
        )
    result = await _verify(world)
    assert result == {"ok": False, "entries": result["entries"], "first_bad_seq": 7}
    async with db.engine.begin() as conn:
        await conn.execute(
            text("DELETE FROM log_entry WHERE seq >= 7 AND seq <= 8 AND activation_id = :a"),
            {"a": world.act["id"]},
        )
    assert (await _verify(world))["first_bad_seq"] == 7


async def test_deleting_the_newest_row_is_reported_too(world, db):
    await _write(world, text="sidste")
    total = (await _verify(world))["entries"]
    async with db.engine.begin() as conn:
        await conn.execute(
            text("DELETE FROM log_entry WHERE seq = :s AND activation_id = :a"),
            {"s": total, "a": world.act["id"]},
        )
    assert (await _verify(world))["first_bad_seq"] == total


async def test_eight_concurrent_writers_leave_one_unbroken_chain(world):
    start = (await _verify(world))["entries"]

    async def writer(n: int) -> None:
        for i in range(200):
            r = await _write(world, text=f"skriver {n} post {i}")
            assert r.status_code == 201, r.text

    await asyncio.gather(*(writer(n) for n in range(8)))
    result = await _verify(world)
    assert result == {"ok": True, "entries": start + 1600, "first_bad_seq": None}


async def test_writers_sharing_a_round_each_get_their_own_answer(world, monkeypatch):
    """Concurrent appends share token lookups and a transaction; each still gets its own
    author, its own refusal and its own status."""
    lookups: list[int] = []
    real = lookup.principals_for

    async def counted(session, digests):  # noqa: ANN001, ANN202
        lookups.append(len(digests))
        return await real(session, digests)

    monkeypatch.setattr(lookup, "principals_for", counted)
    start = (await _verify(world))["entries"]
    calls = [_write(world, token=t, text=f"post {i}") for i, t in enumerate(["log0", "log1"] * 3)]
    calls += [_write(world, token="log1", corrects=999), _write(world, token="authority")]
    calls.append(
        world.client.post(
            _log_url(world), json={"kind": "note", "text": "x"}, headers=bearer("ddh_no")
        )
    )
    responses = await asyncio.gather(*calls)
    assert [r.status_code for r in responses] == [201] * 6 + [422, 403, 401]
    assert len(lookups) < len(responses)  # the lookups shared queries
    for r, person in zip(responses[:6], ["log0", "log1"] * 3, strict=True):
        assert r.json()["actor"].startswith(f"Navn {person}")
    assert sorted(r.json()["seq"] for r in responses[:6]) == list(range(start + 1, start + 7))
    assert await _verify(world) == {"ok": True, "entries": start + 6, "first_bad_seq": None}


async def test_a_revoked_token_stops_writing_at_once_while_others_write(world):
    admin = bearer(world.tokens["admin"])
    token = world.tokens["log1"]
    listed = (await world.client.get("/admin/tokens", headers=admin)).json()
    token_id = next(t["id"] for t in listed if token.startswith(t["prefix"]))
    assert (await _write(world, token="log1")).status_code == 201

    busy = asyncio.Event()

    async def others() -> None:
        while not busy.is_set():
            r = await _write(world, token="log0", text="travl")
            assert r.status_code == 201, r.text

    writers = [asyncio.create_task(others()) for _ in range(4)]
    try:
        r = await world.client.delete(f"/admin/tokens/{token_id}", headers=admin)
        assert r.status_code == 200
        after = await asyncio.gather(*(_write(world, token="log1") for _ in range(4)))
        assert [r.status_code for r in after] == [401] * 4
    finally:
        busy.set()
        await asyncio.gather(*writers)
    assert (await _verify(world))["ok"]


class _DeadDatabase:
    """Stands in for a sessionmaker whose database is gone: every session fails to start."""

    def __call__(self) -> _DeadDatabase:
        return self

    async def __aenter__(self) -> None:
        raise OperationalError("BEGIN", {}, ConnectionRefusedError("database is gone"))

    async def __aexit__(self, *exc: object) -> None:
        return None


async def test_a_dead_database_fails_waiting_writers_and_lookups_at_once():
    """Neither group writer keeps callers waiting (or spins) when it cannot reach the database."""
    appender = LogAppender(_DeadDatabase(), refusals)
    lookup = TokenLookup(_DeadDatabase())
    entry = LogEntryCreate(kind="note", text="Notat")
    async with asyncio.timeout(30):  # a guard against hanging, not a measurement
        results = await asyncio.gather(
            *(
                appender.append("a1", entry, author="x", person_id="log0", now=utcnow())
                for _ in range(5)
            ),
            *(lookup.authenticate(f"ddh_{i}") for i in range(5)),
            return_exceptions=True,
        )
        assert all(isinstance(r, OperationalError) for r in results), results
        with pytest.raises(OperationalError):  # and the next caller is not stuck behind them
            await appender.append("a1", entry, author="x", person_id="log0", now=utcnow())


_REFUSE_BOOM = {
    # the database itself refuses an entry whose text is "boom": a round that fails at insert
    "sqlite": [
        "CREATE TRIGGER refuse_boom BEFORE INSERT ON log_entry WHEN NEW.text = 'boom' "
        "BEGIN SELECT RAISE(ABORT, 'boom refused'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF NEW.text = 'boom' THEN RAISE EXCEPTION 'boom refused'; END IF; RETURN NEW; END $$",
        "CREATE TRIGGER refuse_boom BEFORE INSERT ON log_entry "
        "FOR EACH ROW EXECUTE FUNCTION refuse_boom()",
    ],
}
_ALLOW_BOOM = {
    "sqlite": ["DROP TRIGGER refuse_boom"],
    "postgresql": ["DROP TRIGGER refuse_boom ON log_entry", "DROP FUNCTION refuse_boom()"],
}


async def _run(db, statements: list[str]) -> None:
    async with db.engine.begin() as conn:
        for statement in statements:
            await conn.execute(text(statement))


async def test_an_entry_refused_in_a_failed_round_keeps_its_own_answer(world, db):
    """A round whose insert fails gives its entries the database's error; an entry the checks
    refused in that round still hears its own 422, and the log is unchanged."""
    start = (await _verify(world))["entries"]
    appender = LogAppender(db.sessionmaker, refusals)
    boom = LogEntryCreate(kind="note", text="boom")
    wrong = LogEntryCreate(kind="note", text="rettelse", corrects=999)
    await _run(db, _REFUSE_BOOM[db.kind])
    try:
        results = await asyncio.gather(  # one round: both are queued before it starts
            appender.append(world.act["id"], boom, author="x", person_id="log0", now=utcnow()),
            appender.append(world.act["id"], wrong, author="x", person_id="log0", now=utcnow()),
            return_exceptions=True,
        )
    finally:
        await _run(db, _ALLOW_BOOM[db.kind])
    assert isinstance(results[0], DBAPIError) and "boom refused" in str(results[0])
    assert isinstance(results[1], InvalidInput), results[1]
    assert [problem.field for problem in results[1].problems] == ["corrects"]
    assert await _verify(world) == {"ok": True, "entries": start, "first_bad_seq": None}
    assert (await _write(world, text="efter")).status_code == 201


async def test_timeline_filters_orders_and_pages_stably_while_appending(world):
    t0 = datetime.now(UTC) - timedelta(hours=2)
    for n in range(12):
        await _write(
            world,
            kind="decision" if n % 3 == 0 else "note",
            text=f"punkt {n}",
            occurred_at=(t0 + timedelta(minutes=12 - n)).isoformat(),
        )
    h = bearer(world.tokens["log1"])
    decisions = (
        await world.client.get(_log_url(world), params={"kind": "decision"}, headers=h)
    ).json()
    assert [e["text"] for e in decisions["entries"]] == ["punkt 0", "punkt 3", "punkt 6", "punkt 9"]
    found = (await world.client.get(_log_url(world), params={"q": "PUNKT 1"}, headers=h)).json()
    assert {e["text"] for e in found["entries"]} == {"punkt 1", "punkt 10", "punkt 11"}
    by_time = (
        await world.client.get(
            _log_url(world),
            params={"order": "occurred_at", "kind": "note", "limit": 100},
            headers=h,
        )
    ).json()
    times = [e["occurred_at"] for e in by_time["entries"]]
    assert times == sorted(times)
    seen: list[int] = []
    cursor = None
    while True:
        params = {"limit": 5, **({"cursor": cursor} if cursor else {})}
        page = (await world.client.get(_log_url(world), params=params, headers=h)).json()
        seen += [e["seq"] for e in page["entries"]]
        await _write(world, text="ny post under bladring")
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(set(seen)) and seen[0] == 1
    bad = await world.client.get(_log_url(world), params={"cursor": "garbage"}, headers=h)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"


async def test_csv_export_round_trips_with_semicolons_and_bom(world):
    await _write(world, text='Citat: "Vi lukker"; borgerne ringer')
    r = await world.client.get(
        _log_url(world), params={"format": "csv"}, headers=bearer(world.tokens["authority"])
    )
    assert r.status_code == 200 and r.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[-1]["text"] == 'Citat: "Vi lukker"; borgerne ringer'
    assert [int(row["seq"]) for row in rows] == list(range(1, len(rows) + 1))


async def test_pdf_export_contains_every_entry(world):
    for n in range(40):
        await _write(world, text=f"Logpost-{n:03d} æøå")
    r = await world.client.get(
        _log_url(world), params={"format": "pdf"}, headers=bearer(world.tokens["admin"])
    )
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(r.content))
    content = "\n".join(page.extract_text() for page in reader.pages)
    assert all(f"Logpost-{n:03d} æøå" in content for n in range(40))
    head = (await world.board(world.act["id"]))["counts"]["log_entries"]
    assert world.act["ref"] in content and head > 40
    entries = (
        await world.client.get(
            _log_url(world), params={"format": "json"}, headers=bearer(world.tokens["admin"])
        )
    ).json()
    head_hash = entries[-1]["hash"]
    assert all(head_hash in page.extract_text() for page in reader.pages)  # every page footed


async def test_archived_log_is_read_only(world):
    act_url = f"/activations/{world.act['id']}"
    early = await world.client.post(act_url + "/archive", headers=bearer(world.tokens["steering"]))
    assert early.status_code == 409  # still active
    await world.client.post(
        act_url + "/stand-down", json={}, headers=bearer(world.tokens["steering"])
    )
    r = await world.client.post(act_url + "/archive", headers=bearer(world.tokens["steering"]))
    assert r.status_code == 200, r.text
    late = await _write(world, text="for sent")
    assert late.status_code == 403 and "read-only" in late.json()["detail"]
    assert (await _verify(world))["ok"] is True


async def test_action_cards_are_instantiated_checked_off_and_logged(world):
    url = f"/activations/{world.act['id']}/tasks"
    tasks = (await world.client.get(url, headers=bearer(world.tokens["authority"]))).json()
    roles = {t["role"] for t in tasks}
    assert roles == {"crisis_leader", "log_keeper", "process_lead", "staffing_lead"}
    first = next(t for t in tasks if t["role"] == "log_keeper")
    r = await world.client.post(
        f"{url}/{first['id']}", json={"state": "done"}, headers=bearer(world.tokens["log0"])
    )
    assert r.status_code == 200 and r.json()["state"] == "done"
    assert r.json()["changed_by"].startswith("Navn log0")
    board = await world.board(world.act["id"])
    assert board["action_cards"]["log_keeper"]["done"] == 1
    log = (
        await world.client.get(
            _log_url(world), params={"kind": "action_card"}, headers=bearer(world.tokens["admin"])
        )
    ).json()["entries"]
    assert len(log) == 1 and first["text"] in log[0]["text"]
    bad = await world.client.post(
        f"{url}/{first['id']}", json={"state": "maybe"}, headers=bearer(world.tokens["log0"])
    )
    assert bad.status_code == 422


async def test_another_authority_cannot_read_the_log(world):
    r = await world.client.get(_log_url(world), headers=bearer(world.tokens["other_authority"]))
    assert r.status_code == 404


async def test_cli_log_verify_reports_tampering(world, db):
    import os
    import sys

    async def run() -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "beredskab",
            "log",
            "verify",
            world.act["ref"],
            env={**os.environ, "DATABASE_URL": db.url},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await proc.communicate()
        return proc.returncode, out.decode()

    code, out = await run()
    assert code == 0 and out.startswith("ok:")
    async with db.engine.begin() as conn:
        await conn.execute(text("UPDATE log_entry SET actor = 'en anden' WHERE seq = 2"))
    code, out = await run()
    assert code == 1 and "first bad seq 2" in out


async def test_timeline_time_filters_need_an_offset(world):
    h = bearer(world.tokens["admin"])
    r = await world.client.get(_log_url(world), params={"from": "2026-01-01T00:00:00"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "from"
    ok = await world.client.get(
        _log_url(world), params={"from": "2026-01-01T00:00:00+01:00"}, headers=h
    )
    assert ok.status_code == 200 and ok.json()["entries"]


async def test_a_system_entry_longer_than_the_column_is_shortened_not_failed(world, db):
    """What the service logs on its own may hold what callers named (50 agents' names...):
    beyond the column it is cut and marked, and the chain stays whole."""
    from beredskab.activations.repository import lock_activation
    from beredskab.eventlog import service as eventlog_service
    from beredskab.eventlog.models import TEXT_MAX

    async with db.sessionmaker() as session:
        activation = await lock_activation(session, world.act["id"])
        entry = eventlog_service.append(session, activation, "note", "æ" * (TEXT_MAX + 500))
        await session.commit()
        seq = entry["seq"]
    page = (
        await world.client.get(
            _log_url(world), params={"after": seq - 1}, headers=bearer(world.tokens["log0"])
        )
    ).json()
    (stored,) = page["entries"]
    assert len(stored["text"]) == TEXT_MAX and stored["text"].endswith("æ…")
    assert (await _verify(world))["ok"]
