"""Finance closes a statement in the browser: opens a stood-down activation's statement, makes it
final, and downloads the period report as xlsx; the readiness page as the steering group sees it."""

from __future__ import annotations

import asyncio
import io
from concurrent.futures import ThreadPoolExecutor

import pytest

from beredskab.db import make_engine, make_sessionmaker
from tests.e2e.conftest import check_page
from tests.factories import demo_config
from tests.statements import PERIOD, stood_down_with_costs

pytestmark = pytest.mark.db

FINANCE = "p076"  # Hanne Kjær: the demo directory's finance grant
STEERING = "p012"


def _statement(db) -> str:  # noqa: ANN001
    async def make() -> str:
        engine = make_engine(db.url)  # an engine of this loop's own
        try:
            async with make_sessionmaker(engine)() as session:
                return await stood_down_with_costs(session, demo_config().opening_rules)
        finally:
            await engine.dispose()

    # Playwright's own loop runs in this thread: the setup gets a thread and a loop of its own
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, make()).result()


def test_finance_makes_a_statement_final_and_downloads_the_report(console, browser, db):
    from openpyxl import load_workbook

    activation_id = _statement(db)
    tab = browser.new_page()
    console.sign_in(tab, FINANCE, f"/aktivering/{activation_id}/okonomi")
    assert tab.get_by_role("heading", name="Omkostningsopgørelse").is_visible()
    assert "Kladde" in tab.locator("dl.facts").first.inner_text()
    lines = tab.get_by_role("table", name="Linjer")
    assert "Skive Kommune" in lines.inner_text()
    check_page(tab, "okonomi-aktivering")

    tab.get_by_role("button", name="Gør endelig").click()  # not confirmed: refused
    assert (
        tab.locator("#endelig-confirm-fejl").inner_text() == "Bekræft, at opgørelsen er gennemgået."
    )
    tab.get_by_label("Jeg har gennemgået opgørelsen").check()
    tab.get_by_role("button", name="Gør endelig").click()
    tab.wait_for_url(f"{console.url}/aktivering/{activation_id}/okonomi")
    facts = tab.locator("dl.facts").first.inner_text()
    assert "Endelig" in facts and "Hanne Kjær" in facts
    payers = tab.get_by_role("region", name="Betaler").inner_text()
    odder = payers.split("Odder Kommune")[1].split("kr.")[0].strip() + " kr."

    tab.get_by_role("navigation", name="Hovedmenu").get_by_role("link", name="Økonomi").click()
    tab.get_by_label("Fra og med").fill(PERIOD[0])
    tab.get_by_label("Til og med").fill(PERIOD[1])
    tab.get_by_role("button", name="Vis rapporten").click()
    assert "Odder Kommune" in tab.get_by_role("table", name="Faktura pr. myndighed").inner_text()
    with tab.expect_download() as download:
        tab.get_by_role("link", name="Hent som Excel (xlsx)").click()
    assert download.value.suggested_filename == f"ddh-omkostninger-{PERIOD[0]}-{PERIOD[1]}.xlsx"
    book = load_workbook(io.BytesIO(download.value.path().read_bytes()), read_only=True)
    rows = list(book["Faktura"].iter_rows(values_only=True))
    assert rows[1][0] == "odder"
    kroner = f"{rows[1][6]:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    assert kroner + " kr." == odder  # the invoice is what the statement says Odder pays
    check_page(tab, "okonomi")


def test_the_steering_group_sees_who_is_on_duty(console, browser):
    tab = browser.new_page()
    console.sign_in(tab, STEERING, "/beredskab")
    leader = tab.get_by_role("region", name="Kriseleder")
    assert console.people["p001"]["name"] in leader.inner_text()
    assert leader.get_by_role("link").first.get_attribute("href") == "tel:+4550100001"
    check_page(tab, "beredskab")
    # the municipalities' contacts are folded (on a phone they were most of the page) and one
    # tap away, their numbers as links
    contacts = tab.get_by_role("table", name="Kommunernes kontaktpersoner")
    assert not contacts.is_visible()
    tab.get_by_text("kommuner med primær og sekundær kontaktperson").click()
    assert contacts.is_visible()
    assert contacts.get_by_role("link").first.get_attribute("href").startswith("tel:+45")
