"""The finance report sums draft statements straight from the raw rows (costs/drafts.py), not
through each activation's statement: on random records it must say, øre for øre and line for
line, what the same activations say once finance has made them final, and what each
activation's own statement says."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

import pytest

from beredskab.activations.models import Activation
from beredskab.costs.models import Expense
from beredskab.crisis_staff.models import RoleTenure
from beredskab.directory.models import Organisation, OrgKind
from beredskab.shifts.models import Shift, ShiftState, VolunteerAllocation
from tests.costworld import by_org, cost_world, get, local, post, set_tariff

# Across the spring DST change (29 March 2026), Easter (2-6 April) and a new tariff on 1 April.
FIRST, DAYS = local(2026, 3, 26, 6), 12
PERIOD = "from=2026-03-01&to=2026-04-30"
ODD = "kommune,med:tegn"  # an organisation id that the packed allocation rows cannot split
CREDITORS = ["aarhus", "skive", "odder", ODD]
PEOPLE = ["leader0", "leader1", "log0", "log1", "proc0", "staff0"]


def _instant(rnd: random.Random, after: datetime, hours: int) -> datetime:
    return after + timedelta(minutes=rnd.choice([0, 5, 15, 30, 45]) + 60 * rnd.randrange(hours))


async def _random_year(world, rnd: random.Random) -> list[str]:
    """Activations (ids by end) with crisis staff (some never relieved), shifts that start
    together, share spans, are cut short or cancelled, allocations with and without actuals, and
    expenses."""
    ended: dict[str, datetime] = {}
    async with world.db.sessionmaker() as s:
        s.add(
            Organisation(
                id=ODD, name="Kommune med tegn", kind=OrgKind.municipality, ddh_member=True
            )
        )
        for n in range(8):
            start = _instant(rnd, FIRST, 24 * DAYS)
            end = start + timedelta(hours=rnd.randint(6, 72))
            activation = Activation(
                id=str(uuid.uuid4()),
                ref=f"RND-{n}",
                title=f"Tilfældig {n}",
                authority_id=rnd.choice(["odder", "odder", "region-x"]),
                contact_name="Test",
                contact_phone="+4520123456",
                exercise=rnd.random() < 0.2,
                status="stood_down",
                playbook_hash="test",
                created_by="test",
                created_at=start,
                endorsed_at=start,
                ended_at=end,
            )
            s.add(activation)
            ended[activation.id] = end
            await s.flush()
            for role in rnd.sample(["crisis_leader", "log_keeper", "process_lead"], 2):
                began = _instant(rnd, start, 6)
                s.add(
                    RoleTenure(
                        activation_id=activation.id,
                        role=role,
                        person_id=rnd.choice(PEOPLE),
                        org_id=rnd.choice(CREDITORS),
                        started_at=began,
                        ended_at=None if rnd.random() < 0.3 else _instant(rnd, began, 30),
                    )
                )
            starts = [_instant(rnd, start, 40) for _ in range(3)]
            allocations = []
            for _ in range(rnd.randint(0, 8)):
                begins = rnd.choice(starts)  # shifts that start together interleave
                ends = begins + timedelta(minutes=15 * rnd.randint(1, 40))
                cut = _instant(rnd, begins - timedelta(hours=1), 12)
                shift = Shift(
                    activation_id=activation.id,
                    start=begins,
                    end=ends,
                    agents_needed=4,
                    state=ShiftState.full,
                    requested_by="test",
                    approved_at=start if rnd.random() < 0.5 else None,
                    ended_at=cut if rnd.random() < 0.25 else None,
                )
                s.add(shift)
                await s.flush()
                for org in rnd.sample(CREDITORS, rnd.randint(1, len(CREDITORS))):
                    late = rnd.random() < 0.3
                    allocations.append(
                        VolunteerAllocation(
                            shift_id=shift.id,
                            org_id=org,
                            agents=rnd.randint(0, 3),
                            state=rnd.choice(["active", "active", "released", "withdrawn"]),
                            actual_start=_instant(rnd, begins, 2) if late else None,
                            actual_end=_instant(rnd, begins, 8) if rnd.random() < 0.2 else None,
                            actual_agents=rnd.randint(0, 3) if rnd.random() < 0.2 else None,
                        )
                    )
            rnd.shuffle(allocations)  # allocation ids do not follow the shifts
            for allocation in allocations:
                s.add(allocation)
                await s.flush()
            for _ in range(rnd.randint(0, 2)):
                s.add(
                    Expense(
                        activation_id=activation.id,
                        amount_ore=rnd.choice([0, rnd.randint(1, 10**6)]),
                        text="Forplejning",
                        creditor_id=rnd.choice(CREDITORS),
                        created_by="test",
                    )
                )
        await s.commit()
    return sorted(ended, key=ended.__getitem__)  # the report's order


async def _report(world) -> dict:
    r = await get(world, f"/costs/report?{PERIOD}&format=json")
    assert r.status_code == 200, r.text
    body = r.json()
    del body["generated_at"]
    return body


def _without_status(body: dict) -> dict:
    for party in [*body["invoices"], *body["reimbursements"], body["ddh_share"]]:
        for line in party["lines"]:
            line.pop("status")
    return body


def _per_activation(body: dict, view: str) -> dict[str, dict[str, int]]:
    """Øre per activation and debtor (view "debtor") or creditor (view "creditor")."""
    out: dict[str, dict[str, int]] = {}
    parties = [*body["invoices"], body["ddh_share"]] if view == "debtor" else body["reimbursements"]
    for party in parties:
        for line in party["lines"]:
            mine = out.setdefault(line["activation_id"], {})
            mine[party["org_id"]] = mine.get(party["org_id"], 0) + line["amount_ore"]
    return {a: {k: v for k, v in sums.items() if v} for a, sums in out.items()}


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_the_draft_report_says_what_each_statement_says_and_what_final_will(db, seed):
    async with cost_world(db) as world:
        await set_tariff(world, day="2026-01-01", rate=45_678)
        await set_tariff(world, day="2026-04-01", rate=50_001, reason="Ny timepris")
        ids = await _random_year(world, random.Random(seed))
        draft = await _report(world)
        assert {line["status"] for line in draft["ddh_share"]["lines"]} == {"draft"}

        debtors, creditors = _per_activation(draft, "debtor"), _per_activation(draft, "creditor")
        for activation_id in ids:
            r = await get(world, f"/activations/{activation_id}/costs")
            assert r.status_code == 200, r.text
            statement = r.json()
            owed = {k: v for k, v in by_org(statement["by_debtor"]).items() if v}
            assert debtors.get(activation_id, {}) == owed
            paid = {k: v for k, v in by_org(statement["by_creditor"]).items() if v}
            assert creditors.get(activation_id, {}) == paid

        for activation_id in ids:
            r = await post(world, f"/activations/{activation_id}/costs/final", {})
            assert r.status_code == 200, r.text
        final = await _report(world)
        assert _without_status(draft) == _without_status(final)
        assert final["totals"]["reimbursed_ore"] > 0
        # every øre reimbursed is invoiced to an authority or paid from DDH's share: the
        # report's invoices, share and reimbursements are built from the lines separately
        for body in (draft, final):
            totals = body["totals"]
            assert totals["invoiced_ore"] + totals["ddh_share_ore"] == totals["reimbursed_ore"]
            parties = [*body["invoices"], body["ddh_share"], *body["reimbursements"]]
            assert all(
                p["amount_ore"] == sum(line["amount_ore"] for line in p["lines"]) for p in parties
            )
