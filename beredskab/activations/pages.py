"""Pages: a person asked to answer, with a reply code unique among open pages; and what an answer
did (`ReplyOutcome`), for whichever aggregate the page belongs to."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic_core import PydanticUndefined
from sqlalchemy import String, bindparam, func, literal_column, true
from sqlalchemy.dialects.postgresql import array
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab import direct, staged
from beredskab.activations.models import Activation, Page, PagePurpose, PageState
from beredskab.db import on_postgres
from beredskab.directory.models import Person


@dataclass
class ReplyOutcome:
    """What a reply did, and what to answer the sender (a playbook message key and values)."""

    outcome: str
    reply_key: str | None = None
    values: dict = field(default_factory=dict)


CANDIDATES = 16  # codes checked per query; a code is taken by one open page in 9,000 or so


_CODES = tuple(f"c{i}" for i in range(CANDIDATES))


def _taken(*columns):  # noqa: ANN202 - a Select
    """`columns` of the pages holding drawn codes (`c0`… bound to them): this activation's, or
    open ones anywhere (bind `activation_id`, and `open` to `PageState.open`)."""
    return select(*columns).where(
        Page.code.in_([bindparam(name) for name in _CODES]),  # type: ignore[attr-defined]
        (Page.activation_id == bindparam("activation_id")) | (Page.state == bindparam("open")),
    )


_TAKEN_CODES = direct.Query(lambda: _taken(Page.code))


def draw_codes(given: set[str] | frozenset[str] = frozenset()) -> dict[str, str]:
    """Random candidate codes, none of `given`, bound to the names the checks use."""
    candidates = {str(1000 + secrets.randbelow(9000)) for _ in range(CANDIDATES)} - given
    return dict(zip(_CODES, sorted(candidates) * CANDIDATES, strict=False))


def taken_codes():  # noqa: ANN201 - a scalar subquery
    """PostgreSQL: which drawn codes (`draw_codes`) are taken, comma-joined (None: none), as a
    column of a query the page path runs anyway (`start_callouts`' roster); `keep_free` then
    gives `new_code` the others.

    Asked code by code, each an index probe that stops at the first page holding it (a lateral
    join): the cost stays that of 16 probes however many pages are open, and whatever the
    planner's statistics say of the page table (a new table's say it is empty: it was scanned
    whole, the more pages, the slower, in a call-out storm's first minutes)."""
    drawn = (
        func.unnest(array([bindparam(name, type_=String) for name in _CODES]))
        .table_valued("code")
        .render_derived(name="drawn")
    )
    hit = (
        select(literal_column("1"))
        .where(
            Page.code == drawn.c.code,
            (Page.activation_id == bindparam("activation_id")) | (Page.state == bindparam("open")),
        )
        .limit(1)
        .lateral("hit")
    )
    joined = drawn.join(hit, true())
    return (
        select(func.string_agg(drawn.c.code, literal_column("','")))
        .select_from(joined)
        .scalar_subquery()
    )


def keep_free(
    session: AsyncSession, activation_id: str, drawn: dict[str, str], taken: str | None
) -> None:
    """The drawn codes not `taken` are free for this transaction's next pages (`new_code`)."""
    free, given = _transaction_codes(session, activation_id)
    free.extend(set(drawn.values()) - set((taken or "").split(",")) - given)


def _transaction_codes(session: AsyncSession, activation_id: str) -> tuple[list[str], set[str]]:
    """This transaction's free codes for `activation_id`, and the codes it gave out."""
    transaction = id(session.sync_session.get_transaction())
    free: list[str] = session.info.setdefault(("page-codes", activation_id, transaction), [])
    given: set[str] = session.info.setdefault(("page-codes-given", transaction), set())
    return free, given


async def new_code(session: AsyncSession, activation_id: str) -> str:
    """A 4-digit code unused in this activation and by any open page anywhere.

    Random candidates are checked in batches against the pages (one query for up to CANDIDATES
    codes, not a read of every open page's code); the free ones are kept for this transaction's
    next pages, and the codes it gave out are never given again in it."""
    free, given = _transaction_codes(session, activation_id)
    for _ in range(100):
        while free:
            code = free.pop()
            if code not in given:  # another activation's page in this transaction took it
                given.add(code)
                return code
        drawn = draw_codes(given)
        if not drawn:
            continue
        # direct, without the ORM's autoflush: pending rows of this transaction cannot hold
        # these codes (the codes it gave out are in `given`)
        taken = await _TAKEN_CODES.rows(
            session, activation_id=activation_id, open=PageState.open, **drawn
        )
        free.extend(set(drawn.values()) - {code for (code,) in taken})
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


def ids_ahead(session: AsyncSession) -> bool:
    """Whether a call-out's first wave takes its page ids ahead here (PostgreSQL's sequence):
    its pages are then staged, not inserted at once, and so may be what they refer to (the
    activation they page for, `request_activation`)."""
    return on_postgres(session)


def page_id_ahead():  # noqa: ANN201 - a column
    """PostgreSQL: a new page id from the page table's own sequence, as a column of a query the
    page path runs anyway (`start_callouts`' roster), so that its pages need no statement of
    their own before the commit (`insert_pages` with `ids`). An id taken and not used is a gap,
    as a rolled-back insert leaves one."""
    (pk,) = _PAGES.primary_key.columns
    name = func.pg_get_serial_sequence(
        literal_column(f"'{_PAGES.name}'"), literal_column(f"'{pk.name}'")
    )
    return func.nextval(name)


async def insert_pages(
    session: AsyncSession, rows: list[dict[str, Any]], *, ids: list[int] | None = None
) -> list[NewPage]:
    """Insert `page_row`s; the pages with their ids, in the order of `rows`.

    Without `ids`: in one statement now, directly, without a flush first (what they refer to,
    the activation and the people, must be written already). With `ids` (new ids taken ahead,
    `page_id_ahead`, at least one per row): the rows get the lowest of them, in order, and are
    staged, written with the transaction's other staged rows in its combined write (`staged`),
    or before any statement of the session that reads pages."""
    if not rows:
        return []
    if ids is not None:
        for row, new_id in zip(rows, sorted(ids)[: len(rows)], strict=True):
            row["id"] = new_id
            staged.stage(session, _PAGES, row)
    else:
        for new_id, row in await session.run_sync(staged.with_ids, _PAGES, rows):
            row["id"] = new_id
    fields = NewPage.__dataclass_fields__
    return [NewPage(**{k: v for k, v in row.items() if k in fields}) for row in rows]
