"""GET /costs/report: invoices, reimbursements, DDH's share and their lines; JSON, CSV, XLSX."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from beredskab.auth.models import TokenRole
from beredskab.costs.models import TrainingSession
from beredskab.metadata import utcnow
from tests.costworld import (
    FRIDAY,
    R,
    add_shift,
    cost_world,
    get,
    local,
    post,
    stand_down,
    worked_example,
)
from tests.factories import make_token

# the activations are stood down now: the period around today holds them
_TODAY = utcnow().date()
PERIOD = f"from={_TODAY - timedelta(days=30)}&to={_TODAY + timedelta(days=1)}"


@pytest.fixture
async def world(db):
    """The worked example (Odder, final), a non-member's night shift (Region X, draft), an
    exercise (draft) and a training session: a small year for finance."""
    async with cost_world(db) as w:
        w.example = await worked_example(w)
        assert (await post(w, f"/activations/{w.example}/costs/final", {})).status_code == 200
        region = await w.activate("steering", authority_id="region-x")
        await add_shift(w, region["id"], local(*FRIDAY, 22), local(2026, 11, 21, 2), agents=1)
        await stand_down(w, region["id"])
        w.region = region["id"]
        drill = await w.activate("steering", exercise=True, title="Øvelse")
        await add_shift(w, drill["id"], local(*FRIDAY, 16), local(*FRIDAY, 18), org="skive")
        await stand_down(w, drill["id"])
        w.drill = drill["id"]  # Odder's too
        async with db.sessionmaker() as s:
            s.add(
                TrainingSession(
                    day=_TODAY - timedelta(days=3),  # inside PERIOD whatever the date
                    minutes=150,
                    people=3,
                    org_id="aarhus",
                    text="Introduktion",
                    created_by="test",
                )
            )
            await s.commit()
        yield w


async def _report(world, fmt="json", token="finance", period=PERIOD):
    r = await get(world, f"/costs/report?{period}&format={fmt}", token)
    assert r.status_code == 200, r.text
    return r


def _totals(parties: list[dict]) -> dict[str, int]:
    return {p["org_id"]: p["amount_ore"] for p in parties}


async def test_finance_sees_every_invoice_reimbursement_and_ddhs_share(world):
    body = (await _report(world)).json()
    training = round(3 * 2.5 * R)
    assert _totals(body["invoices"]) == {"odder": 10 * R, "region-x": 4 * R}
    assert _totals(body["reimbursements"]) == {
        "aarhus": 8 * R + 4 * R + training,  # the example's shift, the night shift, training
        "skive": 4 * R + 4 * R,  # the leader's time, the exercise shift
    }
    assert body["ddh_share"]["amount_ore"] == 2 * R + 4 * R + training
    totals = body["totals"]
    assert totals["invoiced_ore"] + totals["ddh_share_ore"] == totals["reimbursed_ore"]
    assert totals["invoiced_dkk"] == "6.394,92"
    odder = body["invoices"][0]
    assert {
        (line["category"], line["in_hours"], line["amount_ore"]) for line in odder["lines"]
    } == {("contact_centre_shift", False, 8 * R), ("crisis_staff", False, 2 * R)}
    assert all(line["status"] == "final" for line in odder["lines"])
    region = body["invoices"][1]
    assert region["lines"][0]["status"] == "draft" and region["lines"][0]["hours"] == 4.0


async def test_the_period_is_the_local_date_an_activation_ended(world):
    body = (await _report(world, period="from=2020-01-01&to=2020-12-31")).json()
    assert body["invoices"] == [] and body["reimbursements"] == []
    assert body["totals"]["reimbursed_ore"] == 0


async def test_an_authority_sees_only_its_own_statements(world):
    body = (await _report(world, token="authority")).json()
    assert _totals(body["invoices"]) == {"odder": 10 * R}
    assert body["reimbursements"] == []  # Odder was not reimbursed for anything
    # only the share of its own activations: the worked example and the exercise
    assert body["ddh_share"]["amount_ore"] == 2 * R + 4 * R
    assert {line["activation_id"] for line in body["ddh_share"]["lines"]} == {
        world.example,
        world.drill,
    }
    other = (await _report(world, token="other_authority")).json()
    assert _totals(other["invoices"]) == {"region-x": 4 * R}
    assert other["ddh_share"]["lines"] == []
    for role in ("admin", "steering", "leader0"):
        r = await get(world, f"/costs/report?{PERIOD}", role)
        assert r.status_code == 403, role


async def test_csv_opens_in_danish_excel(world):
    raw = (await _report(world, "csv")).content
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    header = rows[0]
    assert header[:3] == ["Visning", "Part", "Navn"] and "Beløb (kr.)" in header
    amount = header.index("Beløb (kr.)")
    odder_total = [r for r in rows if r[0] == "Faktura" and r[1] == "odder" and r[8] == "I alt"]
    assert odder_total[0][amount] == "4.567,80"
    assert {r[0] for r in rows[1:]} == {"Faktura", "Refusion", "DDH-andel"}
    assert any(r[8] == "Uddannelse" and r[10] == "7,50" for r in rows)


async def test_xlsx_has_one_sheet_per_view_and_the_lines(world):
    raw = (await _report(world, "xlsx")).content
    book = load_workbook(io.BytesIO(raw), read_only=True)
    assert book.sheetnames == ["Faktura", "Refusion", "DDH-andel", "Linjer"]
    invoices = list(book["Faktura"].iter_rows(values_only=True))
    assert invoices[0][:2] == ("Part", "Navn")
    assert [(r[0], r[5]) for r in invoices[1:]] == [("odder", 10 * R), ("region-x", 4 * R)]
    lines = list(book["Linjer"].iter_rows(values_only=True))
    assert len(lines) > 5 and lines[0][0] == "Visning"


async def test_bad_periods_are_refused_with_the_field_named(world):
    r = await get(world, "/costs/report?from=2026-02-01&to=2026-01-01")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "to"
    r = await get(world, "/costs/report?from=2026-01-01&to=2026-01-31&format=pdf")
    assert r.status_code == 422


async def test_a_reimbursed_municipality_does_not_see_who_pays_for_others(world):
    async with world.db.sessionmaker() as s:
        aarhus = await make_token(s, TokenRole.authority, org_id="aarhus")
    world.tokens["aarhus"] = aarhus
    body = (await _report(world, token="aarhus")).json()
    assert body["invoices"] == []
    (mine,) = body["reimbursements"]
    assert mine["org_id"] == "aarhus" and mine["amount_ore"] == 8 * R + 4 * R + round(3 * 2.5 * R)
    work = [line for line in mine["lines"] if line["activation_id"]]
    assert {line["debtor_id"] for line in work} == {"-"}
    assert all(line["title"] == "" for line in work)
    assert "region-x" not in (await _report(world, "csv", token="aarhus")).text
