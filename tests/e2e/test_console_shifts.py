"""The staffing lead's journey in the browser: an out-of-hours shift requested with its split
shown before it is sent, approved by a steering member's SMS, filled by municipalities answering
by SMS while the lead watches; and an action-card task ticked."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from beredskab.metadata import utcnow
from tests.e2e.conftest import STEERING, check_page

pytestmark = pytest.mark.db

STAFFING_LEAD = "p009"  # the staffing lead roster's primary
JAMMERBUGT, SKIVE = "p021", "p023"  # contact-centre municipalities' primary contacts
CPH = ZoneInfo("Europe/Copenhagen")


def code(text: str, word: str) -> str:
    return re.search(rf"{word} (\d{{4}})", text)[1]


def tomorrow_night() -> tuple[str, str]:
    """Tomorrow 02:00-06:00 Copenhagen time (closed hours), as a datetime-local field takes it."""
    day = (utcnow().astimezone(CPH) + timedelta(days=1)).date()
    return tuple(
        datetime(day.year, day.month, day.day, h).strftime("%Y-%m-%dT%H:%M") for h in (2, 6)
    )


def test_the_staffing_lead_requests_a_night_shift_and_watches_it_fill(console, browser):
    activation_id = console.active_activation(browser, roles=(STAFFING_LEAD,))
    shifts = f"/aktivering/{activation_id}/vagter"
    tab = browser.new_page(locale="da-DK")
    console.sign_in(tab, STAFFING_LEAD, next_path=shifts)

    start, end = tomorrow_night()
    tab.get_by_label("Start").fill(start)
    tab.get_by_label("Slut", exact=True).fill(end)
    tab.get_by_label("Antal agenter").fill("2")
    tab.get_by_label("Antal agenter").blur()
    preview = tab.locator("#fordeling")
    preview.get_by_text("4 t uden for åbningstid").wait_for()  # before anything is sent
    assert "Kræver styregruppens godkendelse" in preview.inner_text()
    tab.get_by_role("button", name="Anmod om vagten").click()
    tab.wait_for_url(re.compile(r".*/vagter#vagt-\d+$"))
    shift = tab.locator("section.shift")
    assert "Afventer godkendelse" in shift.inner_text()
    assert shift.locator("time[data-countdown]").count() == 1

    console.answer_ok(STEERING, "vagt uden for åbningstid")
    console.wait_for_text(STEERING, "Kommunerne kaldes nu")  # the answer to this OK
    tab.reload()
    assert "Søger agenter" in shift.inner_text()
    assert "Godkendt af Søren Madsen" in shift.inner_text()
    assert "Mangler 2 agenter" in shift.inner_text()

    for contact in (JAMMERBUGT, SKIVE):
        page = console.wait_for_text(contact, "kan I stille agenter")
        assert console.reply(contact, f"JA {code(page, 'JA')} 1").status_code == 200
        console.wait_for_text(contact, "Tak.")
    tab.reload()
    assert "Fuldt besat" in shift.inner_text()
    answers = shift.get_by_role("table", name="Kommunernes svar").inner_text()
    assert "Jammerbugt Kommune" in answers and "Skive Kommune" in answers
    assert "2 kommuner har endnu ikke bekræftet" in shift.inner_text()
    check_page(tab, "vagter")


def test_a_crisis_staff_member_ticks_an_action_card_task(console, browser):
    activation_id = console.active_activation(browser, roles=(STAFFING_LEAD,))
    tab = browser.new_page(locale="da-DK")
    console.sign_in(tab, STAFFING_LEAD, next_path=f"/aktivering/{activation_id}/handlingskort")
    card = tab.get_by_role("region", name=re.compile("^Bemandingsansvarlig"))
    card.get_by_role("button", name=re.compile("^Udført")).first.click()
    tab.wait_for_url(re.compile(r".*/handlingskort#opgave-\d+$"))
    card = tab.get_by_role("region", name=re.compile("^Bemandingsansvarlig"))
    assert "1 af" in card.get_by_role("heading").inner_text()
    assert "Udført af Camilla Sørensen" in card.inner_text()
    check_page(tab, "handlingskort")
