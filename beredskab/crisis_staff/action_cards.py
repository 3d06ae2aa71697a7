"""Action cards: each role's checklist from the playbook, instantiated when an activation starts."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab import staged
from beredskab.activations.models import ActionTask, Activation, TaskState
from beredskab.activations.repository import lock_activation
from beredskab.errors import Conflict, NotFound
from beredskab.eventlog import service as eventlog
from beredskab.playbook import Playbook
from beredskab.roles import Role
from beredskab.unit_of_work import transaction

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


def instantiate(session: AsyncSession, playbook: Playbook, activation: Activation) -> None:
    rows = [
        {
            "activation_id": activation.id,
            "role": role.value,
            "position": position,
            "text": text,
            "state": TaskState.open.value,
        }
        for role in Role
        for position, text in enumerate(playbook.roles[role].action_card, start=1)
    ]
    for row in rows:  # written with the transaction, one statement; no ids needed back
        staged.stage(session, ActionTask.__table__, row)


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
