"""Økonomi over HTTP: one activation's statement and its forms, tariffs and the period report;
who may open them, CSRF, and faults shown in Danish with nothing changed."""

from __future__ import annotations

import re

import pytest

from tests.statements import PERIOD, stood_down_with_costs

pytestmark = pytest.mark.db

FINANCE = "p076"  # Hanne Kjær (grant: finance)
ADMIN = "p077"  # Mads Holt (grant: admin)
AUTHORITY = "p075"  # Odder
CRISIS_STAFF = "p003"  # a log keeper on the roster


@pytest.fixture
async def activation_id(app, demo) -> str:
    rules = app.state.runtime.activation_config.opening_rules
    async with app.state.sessionmaker() as session:
        return await stood_down_with_costs(session, rules)


def page_of(activation_id: str) -> str:
    return f"/aktivering/{activation_id}/okonomi"


async def test_finance_reads_the_statement_with_its_lines_and_totals(as_person, activation_id):
    me = await as_person(FINANCE)
    page = await me.client.get(page_of(activation_id))
    assert page.status_code == 200, page.text
    text = page.text
    assert "Kladde" in text
    assert "Krisestab" in text and "Vagt i kontaktcenteret" in text
    assert "Skive Kommune" in text and "Odder Kommune" in text
    assert "Uden for åbningstid" in text
    assert "Gør endelig" in text
    assert 'lang="da"' in text


async def test_the_statement_is_made_final_only_when_confirmed(as_person, activation_id):
    me = await as_person(FINANCE)
    unconfirmed = await me.post(page_of(activation_id) + "/endelig")
    assert unconfirmed.status_code == 422
    assert "Bekræft, at opgørelsen er gennemgået." in unconfirmed.text
    assert "Kladde" in (await me.client.get(page_of(activation_id))).text
    done = await me.post(page_of(activation_id) + "/endelig", {"confirm": "ja"})
    assert done.status_code == 303
    assert done.headers["location"] == page_of(activation_id)
    page = (await me.client.get(page_of(activation_id))).text
    assert "Endelig" in page and "Hanne Kjær" in page
    again = await me.post(page_of(activation_id) + "/endelig", {"confirm": "ja"})
    assert again.status_code == 409
    assert "allerede endelig" in again.text


async def test_an_adjustment_after_final_is_added_with_its_reason(as_person, activation_id):
    me = await as_person(FINANCE)
    await me.post(page_of(activation_id) + "/endelig", {"confirm": "ja"})
    form = {"amount": "-1.250,50", "debtor_id": "odder", "creditor_id": "ddh", "reason": "Rabat"}
    added = await me.post(page_of(activation_id) + "/regulering", form)
    assert added.status_code == 303, added.text
    page = (await me.client.get(page_of(activation_id))).text
    assert "Rabat" in page
    assert "-1.250,50 kr." in page
    payers = re.search(r'<select id="regulering-debtor_id".*?</select>', page, re.S)[0]
    offered = re.findall(r'<option value="(\w+)"', payers)
    assert sorted(offered) == ["ddh", "odder"]  # its authority or DDH, as the rule says


async def test_a_correction_without_reason_is_shown_in_danish_and_changes_nothing(
    as_person, activation_id
):
    me = await as_person(FINANCE)
    page = (await me.client.get(page_of(activation_id))).text
    tenure = re.search(r"/okonomi/rolletid/(\d+)", page)[1]
    refused = await me.post(
        page_of(activation_id) + f"/rolletid/{tenure}",
        {"started_at": "2026-11-20T15:00", "ended_at": "2026-11-20T18:00", "reason": ""},
    )
    assert refused.status_code == 422
    assert f'id="rolletid-{tenure}-reason-fejl">Skal udfyldes.' in refused.text
    assert 'value="2026-11-20T15:00"' in refused.text  # what was typed is kept
    unchanged = (await me.client.get(page_of(activation_id))).text
    assert "fre 20. nov kl. 14.00" in unchanged  # the leader's start as it was
    corrected = await me.post(
        page_of(activation_id) + f"/rolletid/{tenure}",
        {"started_at": "2026-11-20T15:00", "ended_at": "2026-11-20T18:00", "reason": "Timeseddel"},
    )
    assert corrected.status_code == 303, corrected.text
    assert 'value="2026-11-20T15:00"' in (await me.client.get(page_of(activation_id))).text


async def test_an_expense_with_a_bad_amount_is_refused_and_a_good_one_added(
    as_person, activation_id
):
    me = await as_person(FINANCE)
    form = {"amount": "mange penge", "text": "Taxa", "creditor_id": "skive", "reason": "Kvittering"}
    refused = await me.post(page_of(activation_id) + "/udgift", form)
    assert refused.status_code == 422
    assert "Skriv et beløb i kroner" in refused.text
    no_reason = await me.post(
        page_of(activation_id) + "/udgift", {**form, "amount": "250", "reason": ""}
    )
    assert no_reason.status_code == 422
    assert "Skriv en begrundelse" in no_reason.text  # after stand-down, the service says why
    assert "Taxa" not in (await me.client.get(page_of(activation_id))).text
    added = await me.post(page_of(activation_id) + "/udgift", {**form, "amount": "250"})
    assert added.status_code == 303
    assert "Taxa" in (await me.client.get(page_of(activation_id))).text


async def test_a_form_without_csrf_is_refused_and_changes_nothing(as_person, activation_id):
    me = await as_person(FINANCE)
    refused = await me.client.post(page_of(activation_id) + "/endelig", data={"confirm": "ja"})
    assert refused.status_code == 403
    assert "Formularen blev afvist" in refused.text
    tariff = {"valid_from": "2027-01-01", "rate": "500", "reason": ""}
    assert (await me.client.post("/okonomi/timepris", data=tariff)).status_code == 403
    assert "Kladde" in (await me.client.get(page_of(activation_id))).text
    assert "01.01.2027" not in (await me.client.get("/okonomi")).text


@pytest.mark.parametrize("person", [AUTHORITY, CRISIS_STAFF])
async def test_an_authority_or_crisis_staff_may_not_open_finance(as_person, activation_id, person):
    me = await as_person(person)
    assert (await me.client.get(page_of(activation_id))).status_code == 403
    assert (await me.client.get("/okonomi")).status_code == 403
    assert (
        await me.post(page_of(activation_id) + "/endelig", {"confirm": "ja"})
    ).status_code == 403
    tariff = {"valid_from": "2027-01-01", "rate": "500"}
    assert (await me.post("/okonomi/timepris", tariff)).status_code == 403
    report = f"/okonomi/rapport.xlsx?first={PERIOD[0]}&last={PERIOD[1]}"
    assert (await me.client.get(report)).status_code == 403


async def test_an_admin_reads_and_sets_tariffs_but_does_not_change_statements(
    as_person, activation_id
):
    me = await as_person(ADMIN)
    page = await me.client.get(page_of(activation_id))
    assert page.status_code == 200
    assert "Gør endelig" not in page.text
    assert (
        await me.post(page_of(activation_id) + "/endelig", {"confirm": "ja"})
    ).status_code == 403
    finance = (await me.client.get("/okonomi")).text
    assert "Rapport for en periode" not in finance  # the report is finance's (as in the API)
    set_rate = await me.post("/okonomi/timepris", {"valid_from": "2027-01-01", "rate": "512,50"})
    assert set_rate.status_code == 303
    assert "512,50 kr." in (await me.client.get("/okonomi")).text


async def test_an_unknown_activation_is_404(as_person, demo):
    me = await as_person(FINANCE)
    assert (await me.client.get(page_of("no-such-activation"))).status_code == 404


async def test_a_tariff_with_a_negative_rate_is_refused_in_danish(as_person, demo):
    me = await as_person(FINANCE)
    refused = await me.post("/okonomi/timepris", {"valid_from": "2027-01-01", "rate": "-450"})
    assert refused.status_code == 422
    assert 'id="timepris-rate-fejl">Skal være større end 0.' in refused.text
    back_dated = await me.post("/okonomi/timepris", {"valid_from": "2026-01-01", "rate": "450"})
    assert back_dated.status_code == 422
    assert "Skriv en begrundelse: satsen gælder fra i dag eller før." in back_dated.text
    assert "Der er ingen timepris endnu" in (await me.client.get("/okonomi")).text


async def test_the_period_report_is_shown_and_downloaded(as_person, activation_id):
    me = await as_person(FINANCE)
    page = await me.client.get(
        "/okonomi", params={"vis": "ja", "first": PERIOD[0], "last": PERIOD[1]}
    )
    assert page.status_code == 200
    assert "Faktura pr. myndighed" in page.text and "Odder Kommune" in page.text
    query = f"?first={PERIOD[0]}&last={PERIOD[1]}"
    csv = await me.client.get("/okonomi/rapport.csv" + query)
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert "Odder Kommune" in csv.content.decode("utf-8-sig")
    data = (await me.client.get("/okonomi/rapport.json" + query)).json()
    assert [p["org_id"] for p in data["invoices"]] == ["odder"]


async def test_an_unparsable_or_backwards_period_is_shown_in_danish(as_person, demo):
    me = await as_person(FINANCE)
    bad = await me.client.get(
        "/okonomi", params={"vis": "ja", "first": "i går", "last": "2026-11-30"}
    )
    assert bad.status_code == 422
    assert 'id="periode-first-fejl">Skriv en dato.' in bad.text
    backwards = await me.client.get(
        "/okonomi", params={"vis": "ja", "first": "2026-11-30", "last": "2026-11-01"}
    )
    assert backwards.status_code == 422
    assert "Til-datoen må ikke ligge før fra-datoen." in backwards.text
    download = await me.client.get("/okonomi/rapport.xlsx?first=x&last=2026-11-30")
    assert download.status_code == 422
