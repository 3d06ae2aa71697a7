"""Aggregate counts for Prometheus (`GET /metrics`): no names, numbers or texts, only totals.

What an on-call engineer alerts on: SMS waiting too long or failing, deadlines failing, inbound
SMS that could not be processed, open call-outs.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.models import REPLY_IN_LINE, Activation, InboundSms, Page, PageState
from beredskab.deadlines import Deadline
from beredskab.outbox import OutboxMessage, OutboxStatus
from beredskab.shifts.models import Shift

_HELP = {
    "beredskab_activations": "Activations by status.",
    "beredskab_outbox_messages": "Outbox rows (SMS and callbacks) by channel and status.",
    "beredskab_oldest_pending_message_age_seconds": "Age of the oldest unsent outbox row.",
    "beredskab_deadlines": "Deadline rows by status.",
    "beredskab_open_pages": "Pages waiting for an answer, by purpose.",
    "beredskab_shifts": "Shifts by state.",
    "beredskab_inbound_sms_failed": "Inbound SMS kept after their processing failed.",
    "beredskab_inbound_sms_in_line": "Inbound SMS kept in line by the webhook (PostgreSQL), "
    "not yet processed.",
}


def _line(name: str, value: float, **labels: str) -> str:
    if labels:
        inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        return f"{name}{{{inner}}} {value:g}"
    return f"{name} {value:g}"


async def render(session: AsyncSession, now: datetime) -> str:
    out: dict[str, list[str]] = {name: [] for name in _HELP}

    async def grouped(name: str, column, label: str) -> None:  # noqa: ANN001
        rows = await session.exec(select(column, func.count()).group_by(column))
        for key, n in rows.all():
            out[name].append(_line(name, n, **{label: str(key)}))

    await grouped("beredskab_activations", Activation.status, "status")
    rows = await session.exec(
        select(OutboxMessage.channel, OutboxMessage.status, func.count()).group_by(
            OutboxMessage.channel, OutboxMessage.status
        )
    )
    for channel, status, n in rows.all():
        out["beredskab_outbox_messages"].append(
            _line("beredskab_outbox_messages", n, channel=str(channel), status=str(status))
        )
    oldest = (
        await session.exec(
            select(func.min(OutboxMessage.created_at)).where(
                OutboxMessage.status.in_([OutboxStatus.pending, OutboxStatus.sending])
            )
        )
    ).one()
    age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    out["beredskab_oldest_pending_message_age_seconds"].append(
        _line("beredskab_oldest_pending_message_age_seconds", round(age, 3))
    )
    await grouped("beredskab_deadlines", Deadline.status, "status")
    rows = await session.exec(
        select(Page.purpose, func.count())
        .where(Page.state == PageState.open)
        .group_by(Page.purpose)
    )
    for purpose, n in rows.all():
        out["beredskab_open_pages"].append(_line("beredskab_open_pages", n, purpose=str(purpose)))
    await grouped("beredskab_shifts", Shift.state, "state")
    failed = (
        await session.exec(select(func.count()).where(InboundSms.outcome.like("error%")))
    ).one()
    out["beredskab_inbound_sms_failed"].append(_line("beredskab_inbound_sms_failed", failed))
    in_line = (
        await session.exec(select(func.count()).where(InboundSms.outcome == REPLY_IN_LINE))
    ).one()
    out["beredskab_inbound_sms_in_line"].append(_line("beredskab_inbound_sms_in_line", in_line))
    text = []
    for name, lines in out.items():
        text.append(f"# HELP {name} {_HELP[name]}")
        text.append(f"# TYPE {name} gauge")
        text.extend(lines)
    return "\n".join(text) + "\n"
