"""`GET /stats`: the facts of a period's activations summed into figures, per period and kind
(real or exercise), each against the playbook's targets."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.billing import format_dkk
from beredskab.calendar import OpeningRules
from beredskab.directory.service import org_names
from beredskab.errors import InvalidInput
from beredskab.figures import median, percentile, share
from beredskab.playbook import Playbook, Targets
from beredskab.roles import Role
from beredskab.stats.facts import OPEN, ActivationFact, facts
from beredskab.stats.schemas import (
    CostFigures,
    DebtorCost,
    Grouping,
    KindFigures,
    Minutes,
    PeriodFigures,
    RoleFigures,
    Share,
    ShiftFigures,
    Stats,
)

MAX_PERIOD = timedelta(days=400)


async def stats(
    session: AsyncSession,
    playbook: Playbook,
    rules: OpeningRules,
    first: date,
    last: date,
    *,
    by: Grouping = "none",
    now: datetime,
) -> Stats:
    """The figures for activations requested on local dates first..last (inclusive), split into
    months or quarters by `by`. The period must not run backwards nor exceed 400 days."""
    if last < first:
        raise InvalidInput("to", "must not be before from")
    if last - first > MAX_PERIOD:
        raise InvalidInput("to", "the period may be at most 400 days")
    found = await facts(session, rules, first, last, now=now)
    debtors = {d for a in found.activations if a.costs is not None for d in a.costs.by_debtor}
    names = await org_names(session, debtors)
    periods = []
    for start, end in periods_of(first, last, by):
        mine = [a for a in found.activations if start <= a.requested_on <= end]
        periods.append(
            PeriodFigures(
                from_=start,
                to=end,
                **{
                    kind: kind_figures(
                        [a for a in mine if a.exercise is exercise],
                        playbook,
                        names,
                        found.costs_refused,
                    )
                    for kind, exercise in (("real", False), ("exercise", True))
                },
            )
        )
    return Stats(from_=first, to=last, by=by, computed_at=now, periods=periods)


def periods_of(first: date, last: date, by: Grouping) -> list[tuple[date, date]]:
    """first..last cut at calendar months or quarters (the first and last piece may be part of
    one)."""
    if by == "none":
        return [(first, last)]
    months = 1 if by == "month" else 3
    out = []
    start = first
    while start <= last:
        index = (start.year * 12 + start.month - 1) // months * months + months
        following = date(index // 12, index % 12 + 1, 1)
        end = min(following - timedelta(days=1), last)
        out.append((start, end))
        start = following
    return out


def minutes_figure(values: Iterable[float], target: int | None) -> Minutes:
    values = list(values)
    p90 = percentile(values, 90)
    return Minutes(
        count=len(values),
        median_minutes=_round(median(values)),
        p90_minutes=_round(p90),
        target_minutes=target,
        within_target=None if target is None else sum(v <= target for v in values),
        met=None if target is None or p90 is None else p90 <= target,
    )


def share_figure(part: int, whole: int, target_percent: int | None) -> Share:
    found = share(part, whole)
    return Share(
        part=part,
        whole=whole,
        share=found,
        target_percent=target_percent,
        met=None if target_percent is None or found is None else found * 100 >= target_percent,
    )


def kind_figures(
    group: list[ActivationFact], playbook: Playbook, names: dict[str, str], refused: str | None
) -> KindFigures:
    t: Targets = playbook.targets
    roles = [r for a in group for r in a.roles.values()]
    return KindFigures(
        activations=len(group),
        endorsed=sum(a.endorsed for a in group),
        rejected=sum(a.status == "rejected" for a in group),
        cancelled=sum(a.status == "cancelled" for a in group),
        open=sum(a.status in OPEN for a in group),
        endorsed_after_request=minutes_figure(
            (a.endorsed_minutes for a in group if a.endorsed_minutes is not None),
            t.endorsed_minutes,
        ),
        all_roles_filled=minutes_figure(
            (m for a in group if (m := a.all_filled_minutes) is not None),
            t.all_roles_filled_minutes,
        ),
        by_primary=share_figure(
            sum(r.by_primary for r in roles), len(roles), t.primary_share_percent
        ),
        deputies_used=sum((r.rank or 0) > 0 for r in roles),
        handovers=sum(r.rank is None for r in roles),
        roles=[role_figures(role, group, playbook) for role in Role],
        shifts=shift_figures(group, t),
        costs=cost_figures(group, names, refused),
    )


def role_figures(role: Role, group: list[ActivationFact], playbook: Playbook) -> RoleFigures:
    t = playbook.targets
    mine = [a.roles[role.value] for a in group if role.value in a.roles]
    return RoleFigures(
        role=role.value,
        name=playbook.roles[role].name,
        filled=len(mine),
        minutes_to_fill=minutes_figure(
            (r.minutes for r in mine if r.minutes is not None), t.role_filled_minutes
        ),
        by_primary=share_figure(
            sum(r.by_primary for r in mine), len(mine), t.primary_share_percent
        ),
        deputies_used=sum((r.rank or 0) > 0 for r in mine),
        handovers=sum(r.rank is None for r in mine),
    )


def shift_figures(group: list[ActivationFact], t: Targets) -> ShiftFigures:
    requested = sum(a.shifts for a in group)
    rejected = sum(a.shifts_rejected for a in group)
    cancelled = sum(a.shifts_cancelled_before_start for a in group)
    return ShiftFigures(
        requested=requested,
        rejected=rejected,
        cancelled_before_start=cancelled,
        filled_in_time=share_figure(
            sum(a.shifts_in_time for a in group),
            requested - rejected - cancelled,
            t.shifts_filled_in_time_percent,
        ),
    )


def cost_figures(
    group: list[ActivationFact], names: dict[str, str], refused: str | None
) -> CostFigures:
    """Every endorsed activation's statement, final or draft, summed per debtor; the mean per
    activation divides by all of them (an activation a debtor did not pay for counts as 0)."""
    counted = [a.costs for a in group if a.endorsed and a.costs is not None]
    n = len(counted)
    totals: dict[str, int] = {}
    for c in counted:
        for debtor, amount in c.by_debtor.items():
            totals[debtor] = totals.get(debtor, 0) + amount
    total = sum(totals.values())
    return CostFigures(
        status="unavailable" if refused else "ok",
        note=refused or _draft_note(counted),
        activations=n,
        final=sum(c.status == "final" for c in counted),
        draft=sum(c.status == "draft" for c in counted),
        by_debtor=[
            DebtorCost(
                debtor_id=debtor,
                name=names.get(debtor, debtor),
                total_ore=amount,
                total_dkk=format_dkk(amount),
                per_activation_ore=_mean(amount, n),
                per_activation_dkk=format_dkk(_mean(amount, n)),
            )
            for debtor, amount in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
            if amount != 0
        ],
        total_ore=total,
        total_dkk=format_dkk(total),
        per_activation_ore=_mean(total, n),
        per_activation_dkk=format_dkk(_mean(total, n)),
    )


def _draft_note(counted: list) -> str:
    drafts = sum(c.status == "draft" for c in counted)
    if not drafts:
        return ""
    return f"{drafts} af opgørelserne er kladder og kan ændre sig, til de er endelige."


def _mean(total: int, n: int) -> int:
    """Øre, rounded half away from zero."""
    if n == 0:
        return 0
    q, r = divmod(abs(total), n)
    q += 2 * r >= n
    return q if total >= 0 else -q


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
