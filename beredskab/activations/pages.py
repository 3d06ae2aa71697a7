"""Pages: a person asked to answer, with a reply code unique among open pages; and what an answer
did (`ReplyOutcome`), for whichever aggregate the page belongs to."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.models import Activation, Page, PagePurpose, PageState
from beredskab.directory.models import Person


@dataclass
class ReplyOutcome:
    """What a reply did, and what to answer the sender (a playbook message key and values)."""

    outcome: str
    reply_key: str | None = None
    values: dict = field(default_factory=dict)


async def _taken_codes(session: AsyncSession, activation_id: str) -> set[str]:
    """Codes this activation used and codes of open pages anywhere, read once per transaction."""
    key = ("page-codes", activation_id, id(session.sync_session.get_transaction()))
    if key not in session.info:
        rows = await session.exec(
            select(Page.code).where(
                (Page.activation_id == activation_id) | (Page.state == PageState.open)
            )
        )
        session.info[key] = set(rows.all())
    return session.info[key]


async def new_code(session: AsyncSession, activation_id: str) -> str:
    """A 4-digit code unused in this activation and by any open page anywhere."""
    taken = await _taken_codes(session, activation_id)
    for _ in range(1000):
        code = str(1000 + secrets.randbelow(9000))
        if code not in taken:
            taken.add(code)
            return code
    raise RuntimeError("no free page code")  # 9,000 codes per activation: not reached in practice


async def create_page(
    session: AsyncSession,
    activation: Activation,
    purpose: PagePurpose,
    person: Person,
    now: datetime,
    *,
    role: str | None = None,
    rank: int = 0,
    pass_no: int = 1,
    expires_at: datetime | None = None,
    flush: bool = True,
) -> Page:
    page = Page(
        activation_id=activation.id,
        purpose=purpose,
        role=role,
        person_id=person.id,
        phone=person.phone,
        code=await new_code(session, activation.id),
        rank=rank,
        pass_no=pass_no,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(page)
    if flush:
        await session.flush()
    return page
