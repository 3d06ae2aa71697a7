"""Console tests over HTTP (httpx against the app): a person signed in through the real
sign-in service, with the demo directory loaded."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml
from sqlmodel import select

from beredskab.auth import signin
from beredskab.directory.sync import import_directory
from beredskab.metadata import utcnow
from beredskab.outbox import OutboxMessage
from web.deps import COOKIE, csrf_for

DIRECTORY = Path(__file__).resolve().parents[2] / "data" / "ddh_directory.yaml"


@pytest.fixture
async def demo(app) -> dict[str, dict]:
    """The demo directory loaded; person id -> its row in the file."""
    data = yaml.safe_load(DIRECTORY.read_text(encoding="utf-8"))
    async with app.state.sessionmaker() as session:
        await import_directory(session, data, str(DIRECTORY))
    return {p["id"]: p for p in data["people"]}


@dataclass
class SignedIn:
    client: httpx.AsyncClient
    csrf: str

    async def post(self, path: str, data: dict | None = None, **kw) -> httpx.Response:
        """A form POST carrying the session's CSRF token."""
        return await self.client.post(path, data={"csrf": self.csrf, **(data or {})}, **kw)


async def last_code(app, phone: str) -> str:  # noqa: ANN001
    """The code in the newest SMS queued to `phone`."""
    async with app.state.sessionmaker() as session:
        sms = (
            await session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.recipient == phone)
                .order_by(OutboxMessage.id.desc())
            )
        ).first()
    return re.search(r"\b(\d{6})\b", sms.body)[1]


async def sign_in(app, person_id: str) -> SignedIn:  # noqa: ANN001
    """A new client signed in as `person_id` with the code the SMS carried (read from the outbox,
    where the sign-in service queued it)."""
    now = utcnow()
    async with app.state.sessionmaker() as session:
        from beredskab.directory.models import Person

        person = await session.get(Person, person_id)
        playbook = app.state.runtime.activation_config.playbook
        await signin.request_code(session, person.phone, "test", playbook=playbook, now=now)
        code = await last_code(app, person.phone)
        result, token = await signin.sign_in(session, person.phone, code, "test", "test", now=now)
    assert token is not None, result
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        cookies={COOKIE: token},
    )
    return SignedIn(client, csrf_for(token))


@pytest.fixture
async def as_person(app, demo):
    """`await as_person("p012")` -> a SignedIn client; closed after the test."""
    opened: list[SignedIn] = []

    async def make(person_id: str) -> SignedIn:
        signed = await sign_in(app, person_id)
        opened.append(signed)
        return signed

    yield make
    for signed in opened:
        await signed.client.aclose()
