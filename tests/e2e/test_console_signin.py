"""Signing in to the console with the SMS code, and the overview an authority starts from."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import check_page

pytestmark = pytest.mark.db

AUTHORITY = "p075"  # Odder Kommune's contact in the demo directory


def test_an_authority_signs_in_with_the_sms_code_and_asks_for_an_activation(console, browser):
    tab = browser.new_page()
    tab.goto(console.url + "/oversigt")
    assert "/login" in tab.url  # not signed in: sent to sign in, and back after
    check_page(tab, "login")
    console.sign_in(tab, AUTHORITY)
    assert console.people[AUTHORITY]["name"] in tab.locator("header").inner_text()
    text = console.wait_for_text(AUTHORITY, "kode")
    assert "5 minutter" in text

    tab.get_by_label("Hændelse (kort overskrift)").fill("Vandforsyning svigter i Odder")
    tab.get_by_label("Det er en øvelse").check()
    tab.get_by_role("button", name="Send anmodning").click()
    tab.wait_for_url(re.compile(r".*/aktivering/[0-9a-f-]+$"))
    tab.goto(console.url + "/oversigt")
    row = tab.get_by_role("row").filter(has_text="Vandforsyning svigter i Odder")
    assert "Øvelse" in row.inner_text()
    assert "Anmodet" in row.inner_text()
    assert "0 af 4" in row.inner_text()
    check_page(tab, "oversigt")


def test_a_request_with_a_missing_title_is_shown_again_with_the_reason(console, browser):
    tab = browser.new_page()
    console.sign_in(tab, AUTHORITY)
    tab.get_by_label("Kontaktpersonens telefon").fill("123")
    tab.get_by_role("button", name="Send anmodning").click()
    assert tab.get_by_text("Anmodningen er ikke sendt").is_visible()
    assert tab.locator("#title-fejl").inner_text() == "Skal udfyldes."
    assert "telefonnummer" in tab.locator("#contact_phone-fejl").inner_text()
    assert tab.get_by_label("Kontaktpersonens telefon").input_value() == "123"  # kept
    assert tab.get_by_role("row").count() == 0  # nothing was created


def test_an_unknown_number_gets_the_same_answer_and_no_sms(console, browser):
    tab = browser.new_page()
    tab.goto(console.url + "/login")
    tab.get_by_label("Mobilnummer").fill("20 99 88 77")
    tab.get_by_role("button", name="Send kode").click()
    assert tab.get_by_label("Kode fra SMS").is_visible()
    assert "er der nu sendt en SMS" in tab.locator("main").inner_text()
    assert console.twilio.sent_to("+4520998877") == []
    check_page(tab, "login-kode")
