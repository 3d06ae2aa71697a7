"""The log keeper's journey (#12): five entries from the keyboard, one of them earlier; a
correction; a filter; the CSV and the PDF; a second tab that sees a new entry live."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import AUTHORITY, check_page

pytestmark = pytest.mark.db

LOG_KEEPER = "p003"  # first on the roster for log_keeper
TZ = ZoneInfo("Europe/Copenhagen")


def _save(tab, text: str) -> None:  # noqa: ANN001
    """Type `text` where the focus is and save with Ctrl+Enter; wait for it in the timeline."""
    tab.keyboard.type(text)
    tab.keyboard.press("Control+Enter")
    tab.locator("#tidslinje .entry-text", has_text=text).first.wait_for(timeout=5000)
    # the live feed may show the entry before the form has its own answer: wait for the form
    # to be emptied and the focus back in the text (under load the two come in either order),
    # and for htmx to have settled its swap (its settling puts the focus back where it was)
    tab.wait_for_function(
        "document.activeElement && document.activeElement.id === 'text'"
        " && document.activeElement.value === ''"
        " && !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')",
        timeout=10_000,
    )
    assert tab.locator("#text").input_value() == ""


def test_the_log_keeper_writes_corrects_filters_and_exports(console, browser):
    activation_id = console.active_activation(browser, roles=(LOG_KEEPER,))
    page = f"/aktivering/{activation_id}/logbog"
    keeper = browser.new_page()
    console.sign_in(keeper, LOG_KEEPER, next_path=page)
    watcher = browser.new_page()
    console.sign_in(watcher, AUTHORITY, next_path=page)
    watcher.get_by_text("Logbogen er uændret").wait_for()

    keeper.get_by_label("Tekst", exact=True).click()  # the one click; the keyboard from here
    _save(keeper, "Myndigheden ringede: vandet er forurenet")
    _tab_to(keeper, "kind", "Shift+Tab")  # back over the time's parts
    keeper.keyboard.type("b")  # Beslutning
    _tab_to(keeper, "text", "Tab")
    _save(keeper, "Vi åbner for chat kl. 12")
    earlier = datetime.now(TZ) - timedelta(hours=1)
    _tab_to(keeper, "kind", "Shift+Tab")
    keeper.keyboard.press("Tab")  # the time's first part
    _type_time(keeper, earlier)
    _tab_to(keeper, "text", "Tab")
    _save(keeper, "Pressemeddelelse sendt")
    _save(keeper, "Telefonkøen er 40 personer")
    assert keeper.locator("#tidslinje .entry").first.inner_text().count("Telefonkøen") == 1
    _save(keeper, "Odder bekræfter kogeanbefaling")
    # the other tab sees the last entry by itself, within 2 s
    watcher.locator("#tidslinje .entry-text", has_text="kogeanbefaling").wait_for(timeout=2000)

    pressed = keeper.locator("#tidslinje .entry", has_text="Pressemeddelelse sendt")
    shown = pressed.locator("time").inner_text()
    assert f"kl. {earlier:%H.%M}" in shown
    # one entry each, though the form's answer and the live feed both bring it
    assert keeper.locator("#tidslinje .entry", has_text="Telefonkøen").count() == 1

    # correct the second entry: a new entry that points at it
    second = keeper.locator("#tidslinje .entry", has_text="Vi åbner for chat kl. 12")
    second.get_by_role("link", name=re.compile("^Ret")).click()
    keeper.get_by_text("Du retter indlæg").wait_for()
    _focus(keeper, "text")
    keeper.keyboard.press("Control+a")
    _save(keeper, "Vi åbner for chat kl. 13")
    assert "Rettet i nr." in second.inner_text()
    watcher.locator("#tidslinje .entry-text", has_text="kl. 13").wait_for(timeout=2000)

    keeper.get_by_label("Tekst indeholder").fill("chat")
    keeper.get_by_role("button", name="Filtrér").click()
    keeper.wait_for_url(re.compile(r".*tekst=chat"))
    texts = keeper.locator("#tidslinje .entry-text").all_inner_texts()
    assert texts == ["Vi åbner for chat kl. 13", "Vi åbner for chat kl. 12"]

    keeper.goto(console.url + page)
    with keeper.expect_download() as csv_download:
        keeper.get_by_role("link", name="Hent CSV").click()
    rows = Path(csv_download.value.path()).read_text("utf-8-sig").strip().splitlines()
    assert len(rows) >= 1 + 6 + 3  # header, the six written, the system's own
    assert any("kl. 13" in r for r in rows)
    with keeper.expect_download() as pdf_download:
        keeper.get_by_role("link", name="Hent PDF").click()
    assert Path(pdf_download.value.path()).read_bytes()[:4] == b"%PDF"
    keeper.get_by_text("Logbogen er uændret").wait_for()
    check_page(keeper, "logbog")


def _focus(tab, element_id: str) -> None:  # noqa: ANN001
    assert tab.evaluate("document.activeElement.id") == element_id


def _tab_to(tab, element_id: str, key: str) -> None:  # noqa: ANN001
    """Press `key` (Tab or Shift+Tab) until `element_id` has the focus (a datetime-local field
    takes one press per part). Room for two rounds: under load the form's own answer to the
    last save can put the focus back in the text once more after `_save` saw it there."""
    seen = []
    for _ in range(20):
        tab.keyboard.press(key)
        seen.append(tab.evaluate("document.activeElement.id"))
        if seen[-1] == element_id:
            return
    raise AssertionError(f"{key} never reached #{element_id}: {seen}")


def _type_time(tab, moment: datetime) -> None:  # noqa: ANN001
    """Type `moment` into the focused datetime-local field, part by part. Chromium lays the
    field out by its own language (en-US here: mm/dd/yyyy, hh:mm AM), whatever the page's."""
    _focus(tab, "occurred_at")
    tab.keyboard.type(f"{moment:%m%d%Y}")
    tab.keyboard.press("Tab")  # a year may have more digits: leave it explicitly
    tab.keyboard.type(f"{moment:%I%M}")
    tab.keyboard.type("P" if moment.hour >= 12 else "A")
    typed = tab.locator("#occurred_at").input_value()
    assert typed == f"{moment:%Y-%m-%dT%H:%M}", f"the time field reads {typed}"


def test_a_draft_met_by_an_ended_session_is_kept_through_the_sign_in(console, browser):
    activation_id = console.active_activation(browser, roles=(LOG_KEEPER,))
    page = f"/aktivering/{activation_id}/logbog"
    context = browser.new_context()
    keeper = context.new_page()
    console.sign_in(keeper, LOG_KEEPER, next_path=page)
    keeper.get_by_label("Tekst", exact=True).fill("Halvt skrevet om vandet")
    context.clear_cookies()  # the session has ended (signed out elsewhere, expired)
    keeper.get_by_label("Tekst", exact=True).press("Control+Enter")
    keeper.wait_for_url("**/login**")
    console.sign_in(keeper, LOG_KEEPER, next_path=page)
    assert keeper.get_by_label("Tekst", exact=True).input_value() == "Halvt skrevet om vandet"
    assert keeper.get_by_role("alert").filter(has_text="Din session var udløbet").is_visible()
    keeper.get_by_label("Tekst", exact=True).press("Control+Enter")
    keeper.locator("#tidslinje .entry-text", has_text="Halvt skrevet om vandet").wait_for()


def test_a_refused_save_says_so_in_the_form_and_keeps_the_text(console, browser):
    activation_id = console.active_activation(browser, roles=(LOG_KEEPER,))
    page = f"/aktivering/{activation_id}/logbog"
    keeper = browser.new_context().new_page()
    console.sign_in(keeper, LOG_KEEPER, next_path=page)
    keeper.route(
        "**/logbog",
        lambda route: (
            route.fulfill(status=500, body="fejl")
            if route.request.method == "POST"
            else route.continue_()
        ),
    )
    keeper.get_by_label("Tekst", exact=True).fill("Gemmes ikke")
    keeper.get_by_label("Tekst", exact=True).press("Control+Enter")
    alert = keeper.get_by_role("alert").filter(has_text="Indlægget er ikke gemt")
    alert.wait_for(timeout=5000)
    assert "(500)" in alert.inner_text()
    assert keeper.get_by_label("Tekst", exact=True).input_value() == "Gemmes ikke"
