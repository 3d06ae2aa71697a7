"""A generated year for `GET /stats` (tests/services/test_stats.py, bench/stats.py): 500 endorsed
activations requested across 2025 with known times, written straight into the tables.

Every fifth activation (i % 5 == 4) is an exercise, so 400 are real. Real activation number j
(0..399, in order) is endorsed (j·7 mod 400) + 1 minutes after its request (a permutation of
1..400) and its staffing lead is filled 4 + ⌊(j·3 mod 400) / 10⌋ minutes after endorsement
(each of 4..43 ten times), after the other three roles (1, 2 and 3 minutes). For j % 4 == 0 the
log keeper is a deputy (rank 1), for j % 10 == 0 the process lead answers on the second pass,
for j % 20 == 0 the crisis leader took the role by handover. Each real activation asks two
shifts, both full 30 minutes before their start, except the second when j % 4 == 0 (full 10
minutes after its start); for j % 8 == 1 a third shift was rejected. Each real activation has a
final statement: DDH 100 kr., and the authority 50 kr. when j is even.

Exercise number k is endorsed after 5 (k even) or 8 minutes, all roles by rank 0 on the first
page, the last (staffing lead) after 10 minutes; it ends 70 minutes after endorsement and its
statement is a draft (DDH pays everything at the rate RATE).

Besides: 10 real activations rejected in 2025, and two endorsed just outside the year
(2024-12-31 23:30 and 2026-01-01 00:10 Copenhagen time), 1,000 minutes to endorsement each.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from beredskab.activations.models import Activation, Page
from beredskab.costs.models import CostFinal, CostFinalGroup, Tariff
from beredskab.crisis_staff.models import RoleTenure
from beredskab.eventlog.models import LogEntry
from beredskab.shifts.models import Shift

CPH = ZoneInfo("Europe/Copenhagen")
ROLES = ("crisis_leader", "log_keeper", "process_lead", "staffing_lead")
ACTIVATIONS = 500
RATE = 60_000  # øre an hour: 10 kr. a minute


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CPH).astimezone(UTC)


def _activation(i: int, at: datetime, authority: str, **kw: object) -> dict:
    values = {
        "id": str(uuid.UUID(int=i + 1)),
        "ref": f"STAT-{i:04d}",
        "title": f"Hændelse {i}",
        "description": "",
        "authority_id": authority,
        "contact_name": "Frida Bak",
        "contact_phone": "+4520123456",
        "channels": ["phone"],
        "exercise": False,
        "out_of_hours_requested": False,
        "status": "stood_down",
        "playbook_hash": "stats",
        "created_by": "stats",
        "created_at": at,
        "endorsed_at": None,
        "ended_at": None,
        "endorse_reminders": 0,
        "log_seq": 0,
        "log_head_hash": "0" * 64,
    }
    values.update(kw)
    return values


async def seed_year(
    db, *, authority: str, ddh: str, people: dict[str, list[tuple[str, str]]]
) -> None:
    """`db` is an AsyncSession or AsyncConnection; `people[role]` is [(person_id, org_id)] by
    rank (at least two each)."""
    rows: dict[type, list[dict]] = {
        k: [] for k in (Activation, RoleTenure, Page, Shift, LogEntry, CostFinal, CostFinalGroup)
    }
    shift_id = 0
    real = exercise = 0
    for i in range(ACTIVATIONS):
        day = date(2025, 1, 1) + timedelta(days=i * 365 // ACTIVATIONS)
        requested = _local(day, 10)
        is_exercise = i % 5 == 4
        if is_exercise:
            k, exercise = exercise, exercise + 1
            endorse, last = (5 if k % 2 == 0 else 8), 10
            deputy = second_pass = handover = False
        else:
            j, real = real, real + 1
            endorse, last = (j * 7 % 400) + 1, 4 + (j * 3 % 400) // 10
            deputy, second_pass, handover = j % 4 == 0, j % 10 == 0, j % 20 == 0
        endorsed = requested + timedelta(minutes=endorse)
        ended = endorsed + timedelta(minutes=70)
        a = _activation(
            i, requested, authority, exercise=is_exercise, endorsed_at=endorsed, ended_at=ended
        )
        rows[Activation].append(a)
        fill = dict(zip(ROLES, (1, 2, 3, last), strict=True))
        for role, minute in fill.items():
            rank = 1 if role == "log_keeper" and deputy else 0
            person, org = people[role][rank]
            at = endorsed + timedelta(minutes=minute)
            rows[RoleTenure].append(
                {
                    "activation_id": a["id"],
                    "role": role,
                    "person_id": person,
                    "org_id": org,
                    "started_at": at,
                    "ended_at": ended,
                    "end_reason": "stood_down",
                }
            )
            if role == "crisis_leader" and handover:
                continue
            page = {
                "activation_id": a["id"],
                "purpose": "role",
                "role": role,
                "phone": "+4520000000",
                "pass_no": 2 if role == "process_lead" and second_pass else 1,
                "created_at": at - timedelta(seconds=30),
            }
            if rank == 1:  # the primary was paged first and did not answer
                primary = people[role][0][0]
                rows[Page].append(
                    {**page, "person_id": primary, "code": f"{role[:3]}0", "rank": 0}
                    | {"state": "expired", "created_at": endorsed, "answered_at": None}
                )
            rows[Page].append(
                {**page, "person_id": person, "code": f"{role[:3]}{rank}", "rank": rank}
                | {"state": "acked", "answered_at": at}
            )
        if is_exercise:
            continue
        seq = 0
        for n in range(3 if j % 8 == 1 else 2):
            shift_id += 1
            start = endorsed + timedelta(hours=3 + 2 * n)
            rejected = n == 2
            rows[Shift].append(
                {
                    "id": shift_id,
                    "activation_id": a["id"],
                    "start": start,
                    "end": start + timedelta(hours=2),
                    "agents_needed": 2,
                    "state": "rejected" if rejected else "full",
                    "in_hours_minutes": 120,
                    "out_of_hours_minutes": 0,
                    "pieces": [],
                    "requested_by": "stats",
                    "created_at": endorsed,
                }
            )
            if rejected:
                continue
            late = n == 1 and j % 4 == 0
            seq += 1
            rows[LogEntry].append(
                {
                    "activation_id": a["id"],
                    "seq": seq,
                    "occurred_at": start + timedelta(minutes=10 if late else -30),
                    "actor": "system",
                    "kind": "shift_full",
                    "text": "Vagten er fuldt bemandet",
                    "data": {"shift_id": shift_id},
                    "prev_hash": "0" * 64,
                    "hash": f"{seq:064d}",
                }
            )
        rows[CostFinal].append(
            {"activation_id": a["id"], "finalised_at": ended, "finalised_by": "stats"}
            | {"snapshot": {}}
        )
        for debtor, amount in ((ddh, 10_000), (authority, 5_000 if j % 2 == 0 else 0)):
            if amount:
                rows[CostFinalGroup].append(
                    {
                        "activation_id": a["id"],
                        "category": "crisis_staff",
                        "in_hours": True,
                        "rate_ore_per_hour": RATE,
                        "debtor_id": debtor,
                        "creditor_id": ddh,
                        "agent_micros": 0,
                        "amount_ore": amount,
                    }
                )
    for n in range(10):  # rejected: requested, never endorsed
        day = date(2025, 2, 1) + timedelta(days=30 * n)
        rows[Activation].append(
            _activation(ACTIVATIONS + n, _local(day, 12), authority, status="rejected")
            | {"ended_at": _local(day, 13)}
        )
    for n, at in enumerate((_local(date(2024, 12, 31), 23, 30), _local(date(2026, 1, 1), 0, 10))):
        endorsed = at + timedelta(minutes=1000)
        rows[Activation].append(
            _activation(ACTIVATIONS + 10 + n, at, authority, endorsed_at=endorsed)
            | {"ended_at": endorsed + timedelta(hours=1)}
        )
    await db.execute(
        insert(Tariff),
        [{"valid_from": date(2024, 1, 1), "rate_ore_per_hour": RATE, "created_by": "stats"}],
    )
    for table, values in rows.items():
        for n in range(0, len(values), 2000):
            await db.execute(insert(table), values[n : n + 2000])
