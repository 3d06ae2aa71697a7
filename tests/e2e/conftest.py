"""Browser tests: Debian's Chromium driven by Playwright, against a real server on loopback.

Chromium comes from Debian (`apt-get install chromium`; `.ci/run` installs it when missing), never
from `playwright install`. Where it cannot be found the tests are skipped with the reason printed;
under CI they fail instead, so a missing browser is never a silent green.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
import yaml

from api.app import create_app
from beredskab.db import make_engine, make_sessionmaker
from beredskab.directory.sync import import_directory
from beredskab.phones import normalise_phone
from tests.conftest import make_settings
from tests.twilio_mock import TEST_FROM, TwilioMock, sign

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium_or_skip() -> str:
    if os.path.exists(CHROMIUM) or shutil.which(CHROMIUM):
        return CHROMIUM
    reason = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run in CI: {reason}")
    print(f"\nSKIPPING browser tests: {reason}")  # noqa: T201 - the printed reason
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(db) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port, in a thread, for one test."""
    with _served(db) as url:
        yield url


@contextmanager
def _served(db, **overrides: object) -> Iterator[str]:  # noqa: ANN001
    port = _free_port()
    app = create_app(make_settings(db, public_base_url=f"http://127.0.0.1:{port}", **overrides))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[object]:
    executable = _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=executable, args=FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


# --- the console, as its people use it ---------------------------------------------------------

DIRECTORY = Path(__file__).resolve().parents[2] / "data" / "ddh_directory.yaml"
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
# where each page's screenshots go (the CI artefact); docs/screenshots/ holds a copy
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", Path(__file__).resolve().parent / "screenshots"))
SIZES = {"1280": (1280, 900), "360": (360, 760)}
CODE = re.compile(r"\b(\d{6})\b")
OK_CODE = re.compile(r"OK (\w+)")  # the code an SMS asks to be answered with
AUTHORITY = "p075"  # Odder Kommune's contact on the demo directory
STEERING = "p012"  # a steering group member


@dataclass
class Console:
    """A served console with the demo directory, SMS through the real twilio SDK to a mock."""

    url: str
    twilio: TwilioMock
    people: dict[str, dict]  # person id -> the directory's row (name, phone, …)

    def phone(self, person_id: str) -> str:
        return normalise_phone(self.people[person_id]["phone"])

    def texts_to(self, person_id: str, timeout: float = 10) -> list[str]:
        """The SMS texts sent so far to this person (waits for at least one)."""
        deadline = time.monotonic() + timeout
        while True:
            sent = [m["Body"] for m in self.twilio.sent_to(self.phone(person_id))]
            if sent or time.monotonic() > deadline:
                return sent
            time.sleep(0.05)

    def wait_for_text(self, person_id: str, containing: str, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for body in reversed(self.texts_to(person_id, timeout=0)):
                if containing in body:
                    return body
            time.sleep(0.05)
        raise AssertionError(f"no SMS to {person_id} containing {containing!r}")

    def sign_in(self, tab, person_id: str, next_path: str = "/oversigt") -> None:  # noqa: ANN001
        """Sign `person_id` in on `tab` with the code the SMS brought."""
        before = len(self.twilio.sent_to(self.phone(person_id)))
        tab.goto(f"{self.url}/login?next={next_path}")
        tab.get_by_label("Mobilnummer").fill(self.people[person_id]["phone"])
        tab.get_by_role("button", name="Send kode").click()
        tab.get_by_label("Kode fra SMS").wait_for()
        deadline = time.monotonic() + 10
        while len(self.twilio.sent_to(self.phone(person_id))) <= before:
            assert time.monotonic() < deadline, "no sign-in code came"
            time.sleep(0.05)
        body = self.twilio.sent_to(self.phone(person_id))[-1]["Body"]
        tab.get_by_label("Kode fra SMS").fill(CODE.search(body)[1])
        tab.get_by_role("button", name="Log ind").click()
        tab.wait_for_url(f"{self.url}{next_path}*")

    def ask_for_activation(self, tab, title: str, by: str = AUTHORITY) -> str:  # noqa: ANN001
        """`by`, an authority's contact, signs in on `tab` and asks on Oversigt: the activation's
        id; `tab` is left on its status board."""
        self.sign_in(tab, by)
        tab.get_by_label("Hændelse (kort overskrift)").fill(title)
        tab.get_by_role("button", name="Send anmodning").click()
        tab.wait_for_url(re.compile(r".*/aktivering/[0-9a-f-]+$"))
        return tab.url.rsplit("/", 1)[1]

    def answer_ok(self, person_id: str, containing: str) -> None:
        """`person_id` answers OK with the code of the SMS to them that says `containing`."""
        asked = self.wait_for_text(person_id, containing)
        assert self.reply(person_id, f"OK {OK_CODE.search(asked)[1]}").status_code == 200

    def active_activation(
        self,
        browser,  # noqa: ANN001
        roles: tuple[str, ...],
        title: str = "Vandforsyning svigter i Odder",
    ) -> str:
        """Odder asks, a steering member endorses by SMS, and each of `roles` (person ids) answers
        the role page by SMS: the activation's id."""
        tab = browser.new_page(locale="da-DK")
        activation_id = self.ask_for_activation(tab, title)
        tab.close()
        self.answer_ok(STEERING, "anmodning om aktivering")
        for person_id in roles:
            self.answer_ok(person_id, "du kaldes som")
            self.wait_for_text(person_id, "Du er nu")
        return activation_id

    def reply(self, person_id: str, body: str) -> httpx.Response:
        """`person_id` answers by SMS: a signed Twilio webhook, as Twilio would post it."""
        url = f"{self.url}/webhooks/twilio/sms"
        params = {
            "MessageSid": "SM" + uuid.uuid4().hex,
            "From": self.phone(person_id),
            "To": TEST_FROM,
            "Body": body,
        }
        signature = sign(url, params, self.twilio.auth_token)
        return httpx.post(url, data=params, headers={"X-Twilio-Signature": signature})


@pytest.fixture
def console(db) -> Iterator[Console]:
    """The console served on loopback, worker in process, the demo directory loaded."""
    data = yaml.safe_load(DIRECTORY.read_text(encoding="utf-8"))

    async def load() -> None:  # an engine of this loop's own (the fixture's belongs to another)
        engine = make_engine(db.url)
        try:
            async with make_sessionmaker(engine)() as session:
                await import_directory(session, data, str(DIRECTORY))
        finally:
            await engine.dispose()

    asyncio.run(load())
    with TwilioMock() as twilio:
        overrides = {
            "sms_gateway": "twilio",
            "twilio_account_sid": twilio.account_sid,
            "twilio_auth_token": twilio.auth_token,
            "twilio_from": TEST_FROM,
            "twilio_api_base_url": twilio.base_url,
            "run_worker_in_process": True,
        }
        with _served(db, **overrides) as url:
            people = {p["id"]: p for p in data["people"]}
            yield Console(url=url, twilio=twilio, people=people)


def axe_violations(tab) -> list[dict]:  # noqa: ANN001
    """axe-core's serious and critical violations on the page as it is now (WCAG 2.1 AA)."""
    tab.add_script_tag(path=str(AXE))
    result = tab.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def check_page(tab, name: str) -> None:  # noqa: ANN001
    """The page passes axe-core at both widths, fits a 360 px phone without sideways scrolling,
    and its screenshots at 1280 and 360 px are saved as `name-1280.png`, `name-360.png`."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, (width, height) in SIZES.items():
        tab.set_viewport_size({"width": width, "height": height})
        tab.wait_for_timeout(100)
        violations = axe_violations(tab)
        assert violations == [], f"{name} at {width} px: {violations}"
        if width == 360:
            overflow = tab.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{name} scrolls sideways by {overflow} px on a 360 px phone"
        tab.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
    tab.set_viewport_size({"width": 1280, "height": 900})
