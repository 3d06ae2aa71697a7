"""The stats router: the trend over the generated year (tests/stats_year.py) for the steering
group, the administrator and finance, as JSON and as CSV for Danish Excel; everyone else 403, a
bad period 422 naming the field."""

from __future__ import annotations

import csv
import io

import pytest

from beredskab.auth.models import TokenRole
from beredskab.directory.models import OrgKind
from tests.factories import bearer, make_org, make_person, make_token
from tests.stats_year import ROLES, seed_year

YEAR = "/stats?from=2025-01-01&to=2025-12-31"


@pytest.fixture
async def tokens(session):
    await make_org(session, id="ddh", name="Den Digitale Hotline", kind=OrgKind.cooperation)
    await make_org(session, id="odder", name="Odder Kommune")
    people = {}
    for role in ROLES:
        people[role] = [
            ((await make_person(session, "ddh", id=f"{role}{rank}")).id, "ddh") for rank in (0, 1)
        ]
    await seed_year(await session.connection(), authority="odder", ddh="ddh", people=people)
    await session.commit()
    return {role.value: await make_token(session, role) for role in TokenRole}


@pytest.mark.parametrize("role", ["steering", "admin", "finance"])
async def test_the_readers_get_the_years_figures(client, tokens, role):
    r = await client.get(YEAR, headers=bearer(tokens[role]))
    assert r.status_code == 200, r.text
    d = r.json()
    assert (d["from"], d["to"], d["by"]) == ("2025-01-01", "2025-12-31", "none")
    real, exercise = d["periods"][0]["real"], d["periods"][0]["exercise"]
    endorsed = real["endorsed_after_request"]
    assert (endorsed["median_minutes"], endorsed["p90_minutes"], endorsed["met"]) == (
        200.5,
        360,
        False,
    )
    assert exercise["all_roles_filled"]["met"] is True
    odder = next(c for c in real["costs"]["by_debtor"] if c["debtor_id"] == "odder")
    assert (odder["name"], odder["per_activation_dkk"]) == ("Odder Kommune", "25,00")


@pytest.mark.parametrize("role", ["authority", "crisis_staff"])
async def test_others_are_refused(client, tokens, role):
    r = await client.get(YEAR, headers=bearer(tokens[role]))
    assert r.status_code == 403
    assert (await client.get(YEAR)).status_code == 401


async def test_the_csv_reads_in_danish_excel(client, tokens):
    r = await client.get(f"{YEAR}&format=csv", headers=bearer(tokens["steering"]))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert 'filename="ddh-noegletal-2025-01-01-2025-12-31.csv"' in r.headers["content-disposition"]
    assert r.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:5] == ["Fra", "Til", "Type", "Nøgletal", "Rolle / debitor"]
    by = {(row[2], row[3], row[4]): row for row in rows[1:]}
    endorsed = by["Aktivering", "Tid fra anmodning til godkendelse", ""]
    assert endorsed[5:] == ["400", "200,5", "360", "", "", "10 min.", "nej"]
    log = by["Aktivering", "Besat af den primære ved første kald", "logfører"]
    assert log[5:] == ["300 af 400", "", "", "75", "", "75 %", "ja"]
    shifts = by["Aktivering", "Vagter fuldt bemandet før start", ""]
    assert shifts[5:] == ["700 af 800", "", "", "87,5", "", "90 %", "nej"]
    assert by["Øvelse", "Omkostning pr. aktivering", "Den Digitale Hotline"][9] == "2.640,00"
    assert by["Øvelse", "Aktiveringer", ""][5] == "100"


async def test_months_give_twelve_periods(client, tokens):
    r = await client.get(f"{YEAR}&by=month", headers=bearer(tokens["finance"]))
    periods = r.json()["periods"]
    assert len(periods) == 12 and periods[1]["from"] == "2025-02-01"
    assert sum(p["real"]["activations"] + p["exercise"]["activations"] for p in periods) == 510


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2025-02-01&to=2025-01-01", "to"),
        ("from=2024-01-01&to=2025-12-31", "to"),
        ("to=2025-01-01", "from"),
        ("from=2025-13-01&to=2025-12-31", "from"),
        ("from=1999-01-01&to=2025-12-31", "from"),
        ("from=2025-01-01&to=2025-12-31&by=week", "by"),
        ("from=2025-01-01&to=2025-12-31&format=xlsx", "format"),
    ],
)
async def test_a_bad_period_names_the_field(client, tokens, query, field):
    r = await client.get(f"/stats?{query}", headers=bearer(tokens["admin"]))
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == [field], r.text
