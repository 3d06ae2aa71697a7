"""Loading shifts, their allocations, pages and the municipalities' contacts; taking the lock.

Reads only (and the lock): the use case modules above decide and write. Every load that a decision
depends on runs after `lock_activation` in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.models import Activation, Page, PagePurpose, PageState
from beredskab.activations.repository import lock_activation
from beredskab.auth.models import TokenRole
from beredskab.auth.service import Principal
from beredskab.deadlines import Deadline
from beredskab.directory.models import MunicipalityContact, Organisation, OrgKind, Person
from beredskab.errors import NotFound
from beredskab.shifts.models import (
    OPEN_SHIFT_STATES,
    AllocationState,
    Shift,
    ShiftState,
    VolunteerAllocation,
    VolunteerAnswer,
)
from beredskab.shifts.rules import APPROVAL_REMINDER


async def get_shift(session: AsyncSession, activation: Activation, shift_id: int) -> Shift:
    # populate_existing: the activation lock may have been taken after an earlier read
    shift = await session.get(Shift, shift_id, populate_existing=True)
    if shift is None or shift.activation_id != activation.id:
        raise NotFound(f"no shift {shift_id} in {activation.ref}")
    return shift


async def lock_shift(
    session: AsyncSession, activation_id: str, shift_id: int
) -> tuple[Activation, Shift]:
    """The activation, locked, and its shift read under the lock."""
    activation = await lock_activation(session, activation_id)
    return activation, await get_shift(session, activation, shift_id)


async def lock_allocation(
    session: AsyncSession, principal: Principal, allocation_id: int
) -> tuple[Activation, VolunteerAllocation]:
    """The allocation, read under its activation's lock (one look first, to find which)."""
    found = (
        await session.exec(
            select(VolunteerAllocation.org_id, Shift.activation_id)
            .join(Shift, Shift.id == VolunteerAllocation.shift_id)
            .where(VolunteerAllocation.id == allocation_id)
        )
    ).first()
    # an authority token acts for its own municipality's places only; others see "absent"
    if found is None or (principal.role is TokenRole.authority and principal.org_id != found[0]):
        raise NotFound(f"no allocation {allocation_id}")
    activation = await lock_activation(session, found[1])
    allocation = await session.get(VolunteerAllocation, allocation_id, populate_existing=True)
    assert allocation is not None
    return activation, allocation


async def allocations(
    session: AsyncSession, shift: Shift, states: Iterable[AllocationState] | None = None
) -> list[VolunteerAllocation]:
    query = select(VolunteerAllocation).where(VolunteerAllocation.shift_id == shift.id)
    if states is not None:
        query = query.where(VolunteerAllocation.state.in_(list(states)))
    return list((await session.exec(query.order_by(VolunteerAllocation.id))).all())


async def taken(session: AsyncSession, shift: Shift) -> int:
    total = (
        await session.exec(
            select(func.coalesce(func.sum(VolunteerAllocation.agents), 0)).where(
                VolunteerAllocation.shift_id == shift.id,
                VolunteerAllocation.state == AllocationState.active,
            )
        )
    ).one()
    return int(total)


async def shift_pages(
    session: AsyncSession, shift: Shift, purpose: PagePurpose, *, open_only: bool = True
) -> list[Page]:
    query = select(Page).where(Page.shift_id == shift.id, Page.purpose == purpose)
    if open_only:
        query = query.where(Page.state == PageState.open)
    return list((await session.exec(query.order_by(Page.id))).all())


async def page_codes(session: AsyncSession, page_ids: list[int]) -> dict[int, str]:
    if not page_ids:
        return {}
    rows = await session.exec(select(Page.id, Page.code).where(Page.id.in_(page_ids)))  # type: ignore[union-attr]
    return dict(rows.all())  # type: ignore[arg-type]


async def people(session: AsyncSession, ids: Iterable[str | None]) -> list[Person]:
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return []
    return list((await session.exec(select(Person).where(Person.id.in_(wanted)))).all())


async def org_name(session: AsyncSession, org_id: str) -> str:
    org = await session.get(Organisation, org_id)
    return org.name if org else org_id


async def contacts(
    session: AsyncSession, org_id: str | None = None
) -> dict[str, dict[int, Person]]:
    """Active contact persons of every contact-centre municipality (or of `org_id` only):
    org id → rank → person."""
    query = (
        select(MunicipalityContact, Person)
        .join(Person, Person.id == MunicipalityContact.person_id)
        .join(Organisation, Organisation.id == MunicipalityContact.org_id)
        .where(
            Organisation.contact_centre.is_(True),
            Organisation.kind == OrgKind.municipality,
            Person.active.is_(True),
        )
        .order_by(MunicipalityContact.org_id, MunicipalityContact.rank)
    )
    if org_id is not None:
        query = query.where(MunicipalityContact.org_id == org_id)
    rows = await session.exec(query)
    found: dict[str, dict[int, Person]] = {}
    for contact, person in rows.all():
        found.setdefault(contact.org_id, {})[contact.rank] = person
    return found


async def answered_orgs(session: AsyncSession, shift: Shift) -> set[str]:
    """Municipalities with places on the shift, or that said NEJ."""
    holding = await session.exec(
        select(VolunteerAllocation.org_id).where(
            VolunteerAllocation.shift_id == shift.id,
            VolunteerAllocation.state == AllocationState.active,
        )
    )
    said_no = await session.exec(
        select(VolunteerAnswer.org_id).where(VolunteerAnswer.shift_id == shift.id)
    )
    return set(holding.all()) | set(said_no.all())


async def has_said_no(session: AsyncSession, shift: Shift, org_id: str) -> bool:
    row = await session.exec(
        select(VolunteerAnswer).where(
            VolunteerAnswer.shift_id == shift.id, VolunteerAnswer.org_id == org_id
        )
    )
    return row.first() is not None


async def approval_reminders(session: AsyncSession, shift: Shift) -> int:
    """How many approval reminders the shift has had scheduled (the one running included)."""
    return (
        await session.exec(
            select(func.count()).where(
                Deadline.kind == APPROVAL_REMINDER, Deadline.subject_id == shift.id
            )
        )
    ).one()


async def open_shifts_ahead(
    session: AsyncSession, activation: Activation, now: datetime
) -> list[Shift]:
    """The activation's shifts that are still open and not over: what a stand-down ends."""
    rows = await session.exec(
        select(Shift).where(
            Shift.activation_id == activation.id,
            Shift.state.in_(list(OPEN_SHIFT_STATES)),
            Shift.end > now,
        )
    )
    return list(rows.all())


async def allocation_for_page(session: AsyncSession, page: Page) -> VolunteerAllocation | None:
    if page.purpose != PagePurpose.volunteer or page.shift_id is None:
        return None
    return (
        await session.exec(
            select(VolunteerAllocation).where(
                VolunteerAllocation.shift_id == page.shift_id,
                VolunteerAllocation.org_id == page.org_id,
            )
        )
    ).first()


async def open_allocations_of(
    session: AsyncSession, person: Person, now: datetime
) -> list[tuple[VolunteerAllocation, str, str]]:
    """Active places this person took on shifts still ahead, with the code of the page and the
    activation."""
    rows = await session.exec(
        select(VolunteerAllocation, Page.code, Page.activation_id)
        .join(Page, Page.id == VolunteerAllocation.page_id)
        .join(Shift, Shift.id == VolunteerAllocation.shift_id)
        .where(
            VolunteerAllocation.person_id == person.id,
            VolunteerAllocation.state == AllocationState.active,
            Shift.state.in_([ShiftState.recruiting, ShiftState.full]),
            Shift.end > now,
        )
        .order_by(Shift.start)
    )
    return [tuple(row) for row in rows.all()]  # type: ignore[misc]
