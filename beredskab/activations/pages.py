"""Pages: a person asked to answer, with a reply code unique among open pages; and what an answer
did (`ReplyOutcome`), for whichever aggregate the page belongs to."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic_core import PydanticUndefined
from sqlalchemy import bindparam
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab import direct, staged
from beredskab.activations.models import Activation, Page, PagePurpose, PageState
from beredskab.directory.models import Person


@dataclass
class ReplyOutcome:
    """What a reply did, and what to answer the sender (a playbook message key and values)."""

    outcome: str
    reply_key: str | None = None
    values: dict = field(default_factory=dict)


CANDIDATES = 16  # codes checked per query; a code is taken by one open page in 9,000 or so


_CODES = tuple(f"c{i}" for i in range(CANDIDATES))
_TAKEN_CODES = direct.Query(
    lambda: select(Page.code).where(
        Page.code.in_([bindparam(name) for name in _CODES]),  # type: ignore[attr-defined]
        (Page.activation_id == bindparam("activation_id")) | (Page.state == bindparam("open")),
    )
)


async def new_code(session: AsyncSession, activation_id: str) -> str:
    """A 4-digit code unused in this activation and by any open page anywhere.

    Random candidates are checked in batches against the pages (one query for up to CANDIDATES
    codes, not a read of every open page's code); the free ones are kept for this transaction's
    next pages, and the codes it gave out are never given again in it."""
    transaction = id(session.sync_session.get_transaction())
    free: list[str] = session.info.setdefault(("page-codes", activation_id, transaction), [])
    given: set[str] = session.info.setdefault(("page-codes-given", transaction), set())
    for _ in range(100):
        while free:
            code = free.pop()
            if code not in given:  # another activation's page in this transaction took it
                given.add(code)
                return code
        candidates = {str(1000 + secrets.randbelow(9000)) for _ in range(CANDIDATES)} - given
        if not candidates:
            continue
        # direct, without the ORM's autoflush: pending rows of this transaction cannot hold
        # these codes (the codes it gave out are in `given`)
        drawn = dict(zip(_CODES, sorted(candidates) * CANDIDATES, strict=False))
        taken = await _TAKEN_CODES.rows(
            session, activation_id=activation_id, open=PageState.open, **drawn
        )
        free.extend(candidates - {code for (code,) in taken})
    raise RuntimeError("no free page code")  # 9,000 codes per activation: not reached in practice


async def create_page(
    session: AsyncSession,
    activation: Activation,
    purpose: PagePurpose,
    person: Person,
    now: datetime,
    *,
    flush: bool = True,
    **details: Any,
) -> Page:
    """A new page with a fresh code (`details`: `page_row`'s), added to the session and flushed
    (its id is wanted at once), or only added (`flush=False`). Many pages of one step:
    `page_row`, `insert_pages`."""
    page = Page(**await page_row(session, activation, purpose, person, now, **details))
    session.add(page)
    if flush:
        await session.flush()
    return page


@dataclass(frozen=True)
class NewPage:
    """A page inserted as a row (`insert_pages`), not as an ORM object: what the steps after its
    insert read of it. It is not in the session; a later query loads the row as a `Page`."""

    id: int
    activation_id: str
    purpose: str
    role: str | None
    person_id: str
    phone: str
    code: str
    rank: int
    pass_no: int
    created_at: datetime
    expires_at: datetime | None


_PAGES = Page.__table__  # type: ignore[attr-defined]


def _new_page() -> dict[str, Any]:
    """Every column of a new page but its id, with the model's plain defaults (those made by a
    factory, the creation time, are `page_row`'s to set), as `insert_pages` writes them."""
    out: dict[str, Any] = {}
    for column in _PAGES.c:
        if not column.primary_key:
            field = Page.model_fields[column.key]
            plain = field.default_factory is None and field.default is not PydanticUndefined
            out[column.key] = field.default if plain else None
    return out


_NEW_PAGE = _new_page()


async def page_row(
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
) -> dict[str, Any]:
    """`create_page`'s page as a row for `insert_pages`: what many pages of one step (a
    call-out's first wave) are inserted as, without an ORM object each."""
    return {
        **_NEW_PAGE,
        "activation_id": activation.id,
        "purpose": purpose,
        "role": role,
        "person_id": person.id,
        "phone": person.phone,
        "code": await new_code(session, activation.id),
        "rank": rank,
        "pass_no": pass_no,
        "state": PageState.open,
        "created_at": now,
        "expires_at": expires_at,
    }


async def insert_pages(session: AsyncSession, rows: list[dict[str, Any]]) -> list[NewPage]:
    """Insert `page_row`s in one statement; the pages with their ids, in the order of `rows`.
    Directly, without a flush first: what they refer to (the activation, the people) must be
    written already."""
    if not rows:
        return []
    written = await session.run_sync(staged.with_ids, _PAGES, rows)
    by_row = {id(row): new_id for new_id, row in written}
    fields = NewPage.__dataclass_fields__
    return [
        NewPage(id=by_row[id(row)], **{k: v for k, v in row.items() if k in fields}) for row in rows
    ]
