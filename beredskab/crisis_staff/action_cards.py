"""Action cards: each role's checklist from the playbook, instantiated when an activation starts.

The cards' rows (some thirty) are written just after the endorsement's commit, in a transaction of
their own, once the pages are with the dispatcher (#18): nobody waits for them the way the crisis
staff waits for their pages. The endorsement writes a due row for them (`ACTION_CARDS`), so a
process that dies in between leaves them to a worker; whichever takes the row writes the cards,
once."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab import deadlines, staged
from beredskab.activations.models import ActionTask, Activation, TaskState
from beredskab.activations.repository import lock_activation
from beredskab.deadlines import Deadline, DeadlineStatus, Handler
from beredskab.errors import Conflict, NotFound
from beredskab.eventlog import service as eventlog
from beredskab.metadata import utcnow
from beredskab.playbook import Playbook
from beredskab.roles import Role
from beredskab.unit_of_work import later, transaction

ACTION_CARDS = "action_cards"  # the due row of an activation's cards not yet written
# when that row falls due: a worker then writes the cards if the process that committed it has
# not (it died, or its pages' sends took that long); until then a tick leaves the row alone
CARDS_GRACE = timedelta(seconds=10)

STATE_DA = {
    TaskState.done: "udført",
    TaskState.not_applicable: "ikke relevant",
    TaskState.open: "genåbnet",
}


class TaskUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    state: TaskState
    note: str = Field(default="", max_length=1000)


class TaskRead(BaseModel):
    id: int
    role: str
    position: int
    text: str
    state: TaskState
    changed_by: str | None
    changed_at: datetime | None
    note: str | None


def instantiate(
    session: AsyncSession, playbook: Playbook, activation: Activation, now: datetime
) -> None:
    """The activation's action cards: written after this transaction commits (`later`), or
    by a worker from the due row written with it (`ACTION_CARDS`, due `CARDS_GRACE` later)."""
    deadlines.schedule(session, ACTION_CARDS, now + CARDS_GRACE, activation_id=activation.id)
    activation_id = activation.id

    async def write_cards(session: AsyncSession) -> None:
        async with transaction(session):
            if await _take_due_row(session, activation_id):
                _stage_cards(session, playbook, activation_id)

    later(session, write_cards)


async def _take_due_row(session: AsyncSession, activation_id: str) -> bool:
    """Mark the activation's pending `ACTION_CARDS` row done; False if there is none (a worker
    has taken it, or done it)."""
    done = await session.exec(
        update(Deadline)
        .where(
            Deadline.activation_id == activation_id,  # type: ignore[arg-type]
            Deadline.kind == ACTION_CARDS,  # type: ignore[arg-type]
            Deadline.status == DeadlineStatus.pending,  # type: ignore[arg-type]
        )
        .values(status=DeadlineStatus.done, done_at=utcnow(), lease_until=None)
    )
    return done.rowcount == 1


def _stage_cards(session: AsyncSession, playbook: Playbook, activation_id: str) -> None:
    """The cards' rows, written with the transaction in one statement (no ids needed back)."""
    for role in Role:
        for position, text in enumerate(playbook.roles[role].action_card, start=1):
            staged.stage(
                session,
                ActionTask.__table__,  # type: ignore[attr-defined]
                {
                    "activation_id": activation_id,
                    "role": role.value,
                    "position": position,
                    "text": text,
                    "state": TaskState.open.value,
                },
            )


def deadline_handlers(playbook: Playbook) -> dict[str, Handler]:
    """A worker writes the cards whose process died before it could (the row it has claimed
    is marked done with them, in the same transaction), unless the activation has its cards."""

    async def on_cards_due(session: AsyncSession, row: Deadline, now: datetime) -> None:
        activation_id = row.activation_id or ""
        written = select(ActionTask.id).where(ActionTask.activation_id == activation_id).limit(1)
        if (await session.exec(written)).first() is None:  # never a second set
            _stage_cards(session, playbook, activation_id)

    return {ACTION_CARDS: on_cards_due}


async def list_tasks(session: AsyncSession, activation_id: str) -> list[TaskRead]:
    order = {r.value: i for i, r in enumerate(Role)}
    rows = (
        await session.exec(select(ActionTask).where(ActionTask.activation_id == activation_id))
    ).all()
    rows = sorted(rows, key=lambda t: (order.get(t.role, 99), t.position))
    return [TaskRead.model_validate(t, from_attributes=True) for t in rows]


def progress(tasks: list[TaskRead]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for t in tasks:
        p = out.setdefault(t.role, {"total": 0, "done": 0, "not_applicable": 0, "open": 0})
        p["total"] += 1
        p[t.state] += 1
    return out


async def update_task(
    session: AsyncSession,
    playbook: Playbook,
    activation_id: str,
    task_id: int,
    change: TaskUpdate,
    *,
    by: str,
    now: datetime,
) -> TaskRead:
    async with transaction(session):
        activation = await lock_activation(session, activation_id)
        if activation.archived_at is not None:
            raise Conflict(f"{activation.ref} is archived; its action cards are read-only")
        task = await session.get(ActionTask, task_id)
        if task is None or task.activation_id != activation.id:
            raise NotFound(f"no task {task_id} in {activation.ref}")
        if task.state == change.state:
            return TaskRead.model_validate(task, from_attributes=True)
        task.state = change.state
        task.changed_by = by
        task.changed_at = now
        task.note = change.note or None
        session.add(task)
        eventlog.append(
            session,
            activation,
            "action_card",
            f"Handlingskort ({playbook.roles[Role(task.role)].name}) punkt {task.position} "
            f"{STATE_DA[change.state]}: {task.text}" + (f" — {change.note}" if change.note else ""),
            actor=by,
            data={"task_id": task.id, "role": task.role, "state": change.state},
            now=now,
        )
    return TaskRead.model_validate(task, from_attributes=True)
