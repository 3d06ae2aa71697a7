"""The raw cost records of one activation and their corrections: expenses, role tenures and
the time volunteers actually worked.

Each writer locks the activation first (its log hangs off that row), refuses changes to the raw
records once the statement is final (409: an adjustment line is the only way), logs every change
in the activation's log, and commits its own transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.models import OPEN_STATUSES, Activation
from beredskab.activations.repository import lock_activation
from beredskab.auth.models import TokenRole
from beredskab.auth.service import Principal
from beredskab.billing import format_dkk
from beredskab.costs.models import CostFinal, Expense
from beredskab.costs.schemas import (
    AllocationActuals,
    AllocationOut,
    ExpenseCreate,
    ExpenseOut,
    ExpenseUpdate,
    TenureCorrection,
    TenureOut,
)
from beredskab.crisis_staff.models import RoleTenure
from beredskab.danish import count
from beredskab.directory.service import known_org
from beredskab.errors import Conflict, Forbidden, InvalidInput, NotFound
from beredskab.eventlog import service as eventlog
from beredskab.roles import Role
from beredskab.shifts.models import Shift, VolunteerAllocation
from beredskab.shifts.rules import shift_label
from beredskab.unit_of_work import transaction

# crisis-staff roles that may report what really happened on a shift (besides finance)
_REPORTERS = (Role.staffing_lead, Role.crisis_leader)


async def _require_draft(session: AsyncSession, activation: Activation) -> None:
    if await session.get(CostFinal, activation.id) is not None:
        raise Conflict(
            f"the cost statement of {activation.ref} is final: record an adjustment line "
            "(POST /activations/{id}/costs/adjustments) instead of changing the records"
        )


def _after_the_fact(activation: Activation, reason: str | None, *, correction: bool) -> str:
    """A correction, or any change after stand-down, must say why."""
    if (correction or activation.status not in OPEN_STATUSES) and not reason:
        raise InvalidInput("reason", "is required for a change after the fact")
    return reason or ""


def _with_reason(text: str, reason: str) -> str:
    return text + (f" Begrundelse: {reason}" if reason else "")


# --- expenses ------------------------------------------------------------------------------------


def expense_out(e: Expense) -> ExpenseOut:
    return ExpenseOut(
        id=e.id or 0,
        amount_ore=e.amount_ore,
        amount_dkk=format_dkk(e.amount_ore),
        text=e.text,
        creditor_id=e.creditor_id,
        spent_on=e.spent_on,
        created_at=e.created_at,
        created_by=e.created_by,
    )


Record = TypeVar("Record", Expense, RoleTenure)


async def _records(session: AsyncSession, activation_id: str, model: type[Record]) -> list[Record]:
    """An activation's expenses or role tenures, in the order they were made."""
    if await session.get(Activation, activation_id) is None:
        raise NotFound(f"no activation {activation_id}")
    rows = await session.exec(
        select(model).where(model.activation_id == activation_id).order_by(model.id)  # type: ignore[arg-type]
    )
    return list(rows.all())


async def _record_to_change(
    session: AsyncSession, activation_id: str, model: type[Record], record_id: int, what: str
) -> tuple[Activation, Record]:
    """The activation, locked, and its record to correct; only while the statement is a draft."""
    activation = await lock_activation(session, activation_id)
    record = await session.get(model, record_id)
    if record is None or record.activation_id != activation.id:
        raise NotFound(f"no {what} {record_id} on {activation.ref}")
    await _require_draft(session, activation)
    return activation, record


async def list_expenses(session: AsyncSession, activation_id: str) -> list[ExpenseOut]:
    return [expense_out(e) for e in await _records(session, activation_id, Expense)]


async def add_expense(
    session: AsyncSession, activation_id: str, body: ExpenseCreate, *, by: str, now: datetime
) -> ExpenseOut:
    async with transaction(session):
        activation = await lock_activation(session, activation_id)
        await _require_draft(session, activation)
        reason = _after_the_fact(activation, body.reason, correction=False)
        await known_org(session, "creditor_id", body.creditor_id)
        expense = Expense(
            activation_id=activation.id,
            amount_ore=body.amount_ore,
            text=body.text,
            creditor_id=body.creditor_id,
            spent_on=body.spent_on,
            created_at=now,
            created_by=by,
        )
        session.add(expense)
        await session.flush()
        eventlog.append(
            session,
            activation,
            "expense_added",
            _with_reason(
                f"Udgift {format_dkk(body.amount_ore)} kr. ({body.text}) refunderes "
                f"{body.creditor_id}.",
                reason,
            ),
            actor=by,
            data={"expense_id": expense.id, **body.model_dump(mode="json")},
            now=now,
        )
    return expense_out(expense)


async def update_expense(
    session: AsyncSession,
    activation_id: str,
    expense_id: int,
    body: ExpenseUpdate,
    *,
    by: str,
    now: datetime,
) -> ExpenseOut:
    async with transaction(session):
        activation, expense = await _record_to_change(
            session, activation_id, Expense, expense_id, "expense"
        )
        reason = _after_the_fact(activation, body.reason, correction=True)
        changes = body.model_dump(exclude_unset=True, exclude={"reason"}, mode="json")
        if "creditor_id" in changes:
            await known_org(session, "creditor_id", changes["creditor_id"])
        before = expense_out(expense).model_dump(mode="json")
        for name, value in body.model_dump(exclude_unset=True, exclude={"reason"}).items():
            setattr(expense, name, value)
        session.add(expense)
        eventlog.append(
            session,
            activation,
            "expense_changed",
            _with_reason(f"Udgift {expense.id} rettet: {changes}.", reason),
            actor=by,
            data={"expense_id": expense.id, "before": before, "after": changes, "reason": reason},
            now=now,
        )
    return expense_out(expense)


# --- time actually worked ------------------------------------------------------------------------


async def _may_report_shift_time(
    session: AsyncSession, activation: Activation, principal: Principal
) -> None:
    if principal.role is not TokenRole.crisis_staff:
        return
    held = (
        await session.exec(
            select(RoleTenure.id).where(
                RoleTenure.activation_id == activation.id,
                RoleTenure.person_id == principal.person_id,
                RoleTenure.role.in_(_REPORTERS),  # type: ignore[attr-defined]
            )
        )
    ).first()
    if principal.person_id is None or held is None:
        raise Forbidden(
            "only the activation's staffing lead or crisis leader, or finance, may report "
            "shift time"
        )


def _cut_end(shift: Shift) -> datetime:
    """Where the shift's billed time ends when no end is reported: its end, or where it was cut
    (cancelled, or cut short by stand-down)."""
    return shift.end if shift.ended_at is None else min(shift.end, shift.ended_at)


def _refuse_out_of_bounds(
    allocation: VolunteerAllocation, shift: Shift, changed: set[str], tz: ZoneInfo
) -> None:
    """Refuse actuals that would silently change the bill (`statement.billed_span` bills nothing
    for an empty span): more agents than were allocated, or a reported time that leaves no time
    worked. The field is the one this report sets; the bound is named in local time."""

    def at(moment: datetime) -> str:
        return f"{moment.astimezone(tz):%Y-%m-%d %H:%M} ({tz.key})"

    if allocation.actual_agents is not None and allocation.actual_agents > allocation.agents:
        raise InvalidInput(
            "actual_agents", f"must be at most {allocation.agents}, the agents allocated"
        )
    if not changed & {"actual_start", "actual_end"}:
        return
    start = shift.start if allocation.actual_start is None else allocation.actual_start
    if allocation.actual_end is not None:
        if allocation.actual_end > start:
            return
        if "actual_start" in changed:
            bound = f"the actual_end, {at(allocation.actual_end)}"
            raise InvalidInput("actual_start", f"must be before {bound}")
        what = "actual_start" if allocation.actual_start is not None else "the shift's start"
        raise InvalidInput("actual_end", f"must be after {what}, {at(start)}")
    end = _cut_end(shift)
    if end > start:
        return
    cut = " (the shift was cut short)" if end < shift.end else ""
    raise InvalidInput("actual_start", f"must be before the shift's end, {at(end)}{cut}")


async def report_actuals(
    session: AsyncSession,
    activation_id: str,
    allocation_id: int,
    body: AllocationActuals,
    principal: Principal,
    *,
    tz: ZoneInfo,
    now: datetime,
) -> AllocationOut:
    """What really happened on a volunteer allocation; refused where it would bill nothing or
    more than was allocated (`_refuse_out_of_bounds`)."""
    async with transaction(session):
        activation = await lock_activation(session, activation_id)
        await _may_report_shift_time(session, activation, principal)
        found = (
            await session.exec(
                select(VolunteerAllocation, Shift)
                .join(Shift, Shift.id == VolunteerAllocation.shift_id)
                .where(
                    VolunteerAllocation.id == allocation_id, Shift.activation_id == activation.id
                )
            )
        ).first()
        if found is None:
            raise NotFound(f"no volunteer allocation {allocation_id} on {activation.ref}")
        allocation, shift = found
        await _require_draft(session, activation)
        changes = body.model_dump(exclude_unset=True, exclude={"reason"})
        if not changes:
            raise InvalidInput("body", "give actual_start, actual_end or actual_agents")
        had = (allocation.actual_start, allocation.actual_end, allocation.actual_agents)
        reason = _after_the_fact(
            activation, body.reason, correction=any(v is not None for v in had)
        )
        before = {"actual_start": had[0], "actual_end": had[1], "actual_agents": had[2]}
        for name, value in changes.items():
            setattr(allocation, name, value)
        _refuse_out_of_bounds(allocation, shift, set(changes), tz)
        # what will be billed, as every log text says times: local, and until the cut
        start = allocation.actual_start or shift.start
        end = allocation.actual_end or _cut_end(shift)
        session.add(allocation)
        agents = allocation.agents if allocation.actual_agents is None else allocation.actual_agents
        eventlog.append(
            session,
            activation,
            "shift_time_reported",
            _with_reason(
                f"Faktisk tid for {allocation.org_id} på vagt {shift.id}: "
                f"{shift_label(start, end, tz)}, {count(agents, 'agent', 'agenter')}.",
                reason,
            ),
            actor=principal.display_name,
            data={
                "allocation_id": allocation.id,
                "before": {
                    k: v.isoformat() if isinstance(v, datetime) else v for k, v in before.items()
                },
                "after": body.model_dump(exclude_unset=True, mode="json"),
            },
            now=now,
        )
    return AllocationOut(
        id=allocation.id or 0,
        shift_id=shift.id or 0,
        org_id=allocation.org_id,
        agents=allocation.agents,
        actual_start=allocation.actual_start,
        actual_end=allocation.actual_end,
        actual_agents=allocation.actual_agents,
    )


def tenure_out(t: RoleTenure) -> TenureOut:
    return TenureOut(
        id=t.id or 0,
        role=t.role,
        person_id=t.person_id,
        org_id=t.org_id,
        started_at=t.started_at,
        ended_at=t.ended_at,
        end_reason=t.end_reason,
    )


async def list_tenures(session: AsyncSession, activation_id: str) -> list[TenureOut]:
    return [tenure_out(t) for t in await _records(session, activation_id, RoleTenure)]


async def correct_tenure(
    session: AsyncSession,
    activation_id: str,
    tenure_id: int,
    body: TenureCorrection,
    *,
    by: str,
    now: datetime,
) -> TenureOut:
    async with transaction(session):
        activation, tenure = await _record_to_change(
            session, activation_id, RoleTenure, tenure_id, "role tenure"
        )
        reason = _after_the_fact(activation, body.reason, correction=True)
        before = tenure_out(tenure).model_dump(mode="json")
        changes = body.model_dump(exclude_unset=True, exclude={"reason"})
        for name, value in changes.items():
            setattr(tenure, name, value)
        if tenure.ended_at is not None and tenure.ended_at <= tenure.started_at:
            raise InvalidInput("ended_at", "must be after started_at")
        session.add(tenure)
        eventlog.append(
            session,
            activation,
            "role_time_corrected",
            _with_reason(f"Tid for {tenure.role} ({tenure.person_id}) rettet.", reason),
            actor=by,
            data={"tenure_id": tenure.id, "before": before, "after": body.model_dump(mode="json")},
            now=now,
        )
    return tenure_out(tenure)
