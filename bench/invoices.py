"""E-invoice benchmark (issue 17), beside a baseline from the same run.

A year: 500 stood-down activations of 2025 for 40 authorities (valid CVR and EAN), each with a
final statement of 4 groups for its authority (crisis staff in and out of hours, a shift out of
hours, an expense) and 1 for DDH, written straight into the tables; every tenth activation has
a later adjustment (a credit note when odd, an extra invoice when even).

Targets: the year's invoices and credit notes generated (`invoices.service.create_for_period`,
one transaction, in process) ≤ 2 s; generated and validated against the EN 16931 and Peppol
rules (`validation.validate_many`, 2 processes) ≤ 60 s, with no fatal finding. Baseline: the
finance report for the same year (`costs.report.build`), in the same run; ratios are printed.
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bench.common import cli, databases

CPH = ZoneInfo("Europe/Copenhagen")
ACTIVATIONS, AUTHORITIES = 500, 40
RATE = 46_350
HOUR = 3_600_000_000


def _cvr(n: int) -> str:
    from beredskab.invoices.ubl import cvr_valid

    base = 30_000_000 + n * 100
    return next(str(v) for v in range(base, base + 100) if cvr_valid(str(v)))


def _gln(n: int) -> str:
    from beredskab.invoices.ubl import gln_valid

    stem = f"579000{n:06d}"
    return next(stem + str(d) for d in range(10) if gln_valid(stem + str(d)))


async def _seed(db_url: str) -> None:
    from sqlalchemy import insert, update

    from beredskab.activations.models import Activation
    from beredskab.costs.models import CostAdjustment, CostFinal, CostFinalGroup
    from beredskab.db import make_engine
    from beredskab.directory.models import Organisation
    from tests.factories import DDH_CVR

    engine = make_engine(db_url)
    async with engine.begin() as conn:
        await conn.execute(update(Organisation).where(Organisation.id == "ddh").values(cvr=DDH_CVR))
        orgs = [
            {
                "id": f"auth{n:02d}",
                "name": f"Myndighed {n}",
                "kind": "municipality",
                "ddh_member": True,
                "contact_centre": False,
                "cvr": _cvr(n),
                "ean": _gln(n),
                "buyer_reference": f"BER-{n:02d}",
            }
            for n in range(AUTHORITIES)
        ]
        await conn.execute(insert(Organisation), orgs)
        activations, finals, groups, adjustments = [], [], [], []
        for i in range(ACTIVATIONS):
            day = date(2025, 1, 1) + timedelta(days=i * 362 // ACTIVATIONS)
            ended = datetime(day.year, day.month, day.day, 20, tzinfo=CPH).astimezone(UTC)
            activation_id = str(uuid.UUID(int=i + 1))
            authority = orgs[i % AUTHORITIES]["id"]
            activations.append(
                {
                    "id": activation_id,
                    "ref": f"DDH-2025-{i + 1:04d}",
                    "title": f"Hændelse {i}",
                    "description": "",
                    "authority_id": authority,
                    "contact_name": "Bench",
                    "contact_phone": "+4520123456",
                    "channels": ["phone"],
                    "exercise": False,
                    "out_of_hours_requested": True,
                    "status": "stood_down",
                    "playbook_hash": "bench",
                    "created_by": "bench",
                    "created_at": ended - timedelta(hours=8),
                    "endorsed_at": ended - timedelta(hours=8),
                    "ended_at": ended,
                    "endorse_reminders": 0,
                    "log_seq": 0,
                    "log_head_hash": "0" * 64,
                }
            )
            finals.append(
                {
                    "activation_id": activation_id,
                    "finalised_at": ended,
                    "finalised_by": "bench",
                    "snapshot": {},
                }
            )
            micros = (2 + i % 5) * HOUR + (i % 7) * 60_000_000  # whole minutes
            for category, in_hours, debtor, agents in (
                ("crisis_staff", True, "ddh", 1),
                ("crisis_staff", False, authority, 1),
                ("contact_centre_shift", False, authority, 3),
            ):
                groups.append(
                    {
                        "activation_id": activation_id,
                        "category": category,
                        "in_hours": in_hours,
                        "rate_ore_per_hour": RATE,
                        "debtor_id": debtor,
                        "creditor_id": "aarhus",
                        "agent_micros": agents * micros,
                        "amount_ore": (agents * micros * RATE + HOUR // 2) // HOUR,
                    }
                )
            groups.append(
                {
                    "activation_id": activation_id,
                    "category": "expense",
                    "in_hours": None,
                    "rate_ore_per_hour": None,
                    "debtor_id": authority,
                    "creditor_id": "aarhus",
                    "agent_micros": 0,
                    "amount_ore": 12_345 + i,
                }
            )
            if i % 10 == 0:
                adjustments.append(
                    {
                        "activation_id": activation_id,
                        "amount_ore": -5_000 if i % 20 else 7_500,
                        "debtor_id": authority,
                        "creditor_id": "ddh",
                        "reason": "Efterregulering",
                        "created_at": ended,
                        "created_by": "bench",
                    }
                )
        await conn.execute(insert(Activation), activations)
        await conn.execute(insert(CostFinal), finals)
        await conn.execute(insert(CostFinalGroup), groups)
        await conn.execute(insert(CostAdjustment), adjustments)
    await engine.dispose()


async def _measure(db_url: str) -> tuple[float, float, list[bytes]]:
    from beredskab.activations.config import ActivationConfig
    from beredskab.costs import report
    from beredskab.db import make_engine, make_sessionmaker
    from beredskab.invoices import service
    from beredskab.playbook_file import load_playbook
    from beredskab.settings import DEFAULT_PLAYBOOK
    from tests.factories import invoicing_config

    loaded = load_playbook(DEFAULT_PLAYBOOK)
    rules = ActivationConfig(
        playbook=loaded.playbook, playbook_hash=loaded.content_hash
    ).opening_rules
    config = invoicing_config()
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    now = datetime(2026, 1, 15, 9, tzinfo=UTC)
    first, last = date(2025, 1, 1), date(2025, 12, 31)
    async with sessions() as session:
        t0 = time.perf_counter()
        built = await report.build(session, rules, first, last, now=now)
        baseline = time.perf_counter() - t0
        assert len(built.invoices) == AUTHORITIES
    async with sessions() as session:
        t0 = time.perf_counter()
        made = await service.create_for_period(
            session, rules, config, first, last, by="bench", now=now
        )
        generated = time.perf_counter() - t0
        documents = [row.xml for row in made]
        expected = {p.org_id: p.amount_ore for p in built.invoices}
        signed: dict[str, int] = {}
        for row in made:
            sign = -1 if row.kind == "credit_note" else 1
            signed[row.debtor_id] = signed.get(row.debtor_id, 0) + sign * row.total_ore
        assert signed == expected, "the documents do not add up to the report"
    await engine.dispose()
    return baseline, generated, documents


def main(argv: list[str] | None = None) -> None:
    from beredskab.invoices.validation import validate_many

    print("E-invoices: a year (500 activations, 40 authorities)")
    for name, url in databases():
        cli(url, "migrate")
        cli(url, "directory", "import", "data/ddh_directory.yaml")
        asyncio.run(_seed(url))
        baseline, generated, documents = asyncio.run(_measure(url))
        t0 = time.perf_counter()
        findings = validate_many(documents, workers=2)
        validated = time.perf_counter() - t0
        bad = sum(1 for f in findings if f)
        print(
            f"  {name}: {len(documents)} documents; finance report (baseline) "
            f"{baseline * 1000:.0f} ms; generated {generated * 1000:.0f} ms "
            f"({generated / baseline:.1f}x the report; target 2 s); validated "
            f"{validated:.1f} s, generated+validated {generated + validated:.1f} s "
            f"(target 60 s); documents with a fatal finding: {bad}"
        )
        if bad:
            print("    first:", next(f for f in findings if f)[:3])


if __name__ == "__main__":
    main(sys.argv[1:])
