"""The finance report for a period: one invoice per authority, one reimbursement statement per
creditor, DDH's common share, each with the summed lines behind it (the lines: report_lines.py).

What an authority may see of it is decided here too: its invoice, its own reimbursement, the DDH
share of its own activations.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.auth.models import TokenRole
from beredskab.auth.service import Principal
from beredskab.calendar import OpeningRules
from beredskab.costs import statement as statements
from beredskab.costs.report_lines import ReportLine, period_lines
from beredskab.directory.models import Organisation
from beredskab.errors import InvalidInput

OTHER = "-"  # a debtor an authority may not see
MAX_PERIOD = timedelta(days=400)


@dataclass
class Party:
    org_id: str
    name: str
    cvr: str | None
    ean: str | None
    lines: list[ReportLine] = field(default_factory=list)

    @property
    def amount_ore(self) -> int:
        return sum(line.amount_ore for line in self.lines)


@dataclass
class Report:
    start: date
    end: date
    ddh_id: str
    invoices: list[Party]
    reimbursements: list[Party]
    ddh_share: Party

    @property
    def invoiced_ore(self) -> int:
        return sum(p.amount_ore for p in self.invoices)

    @property
    def reimbursed_ore(self) -> int:
        return sum(p.amount_ore for p in self.reimbursements)


# the order of a party's lines within one activation
_CATEGORY_ORDER = {
    name: i
    for i, name in enumerate(
        ["crisis_staff", "contact_centre_shift", "expense", "adjustment", "training"]
    )
}
_OPENING_ORDER = {True: 0, False: 1, None: 2}


def _merged(lines: list[ReportLine], position: dict[str | None, int]) -> list[ReportLine]:
    """One party's lines summed per activation, category, in/out of hours and rate: an invoice
    line does not need to name each reimbursed municipality, nor a reimbursement each payer.
    A side that differs within a sum is left empty. In the order of the activations (`position`),
    then category, in hours before out of hours, rate, and own effort last; training last, by
    day."""
    sums: dict[tuple, list] = {}
    for line in lines:
        key = (
            line.activation_id,
            line.ref,
            line.category,
            line.in_hours,
            line.rate_ore_per_hour,
            line.text,
        )
        found = sums.get(key)
        if found is None:
            sums[key] = [line, line.agent_micros, line.amount_ore, line.debtor_id, line.creditor_id]
            continue
        found[1] += line.agent_micros
        found[2] += line.amount_ore
        if found[3] != line.debtor_id:
            found[3] = ""
        if found[4] != line.creditor_id:
            found[4] = ""
    out = [
        first
        if (micros, amount, debtor, creditor)
        == (first.agent_micros, first.amount_ore, first.debtor_id, first.creditor_id)
        else replace(
            first, agent_micros=micros, amount_ore=amount, debtor_id=debtor, creditor_id=creditor
        )
        for first, micros, amount, debtor, creditor in sums.values()
    ]
    last = len(position)
    out.sort(  # stable: adjustments stay in the order they were made, training by day
        key=lambda line: (
            position.get(line.activation_id, last),
            _CATEGORY_ORDER[line.category],
            _OPENING_ORDER[line.in_hours],
            line.rate_ore_per_hour or 0,
            line.text == statements.OWN_EFFORT,  # after what is paid; not by row order
        )
    )
    return out


def _own_effort(line: ReportLine, ddh: str) -> bool:
    """The authority's own people on its own activation (`billing.own_effort`): priced at 0
    already; a frozen statement's groups say it by debtor and creditor alone."""
    return (
        line.category != "adjustment"
        and line.debtor_id == line.creditor_id == line.authority_id
        and line.debtor_id != ddh
    )


def _party(org_id: str, orgs: dict[str, Organisation]) -> Party:
    org = orgs.get(org_id)
    return Party(
        org_id, org.name if org else org_id, org.cvr if org else None, org.ean if org else None
    )


async def build(
    session: AsyncSession,
    rules: OpeningRules,
    first: date,
    last: date,
    *,
    now: datetime,
    authority_id: str | None = None,
) -> Report:
    """The report for local dates first..last (inclusive); `authority_id` narrows it to what one
    authority may see: its invoice, its own reimbursement, the DDH share of its activations."""
    ddh = await statements.ddh_id(session)
    orgs = {o.id: o for o in (await session.exec(select(Organisation))).all()}
    activations, lines = await period_lines(
        session, rules, first, last, ddh=ddh, orgs=orgs, now=now
    )
    if authority_id is not None:
        lines = [
            line
            for line in lines
            if line.debtor_id == authority_id
            or line.creditor_id == authority_id
            or (line.debtor_id == ddh and line.authority_id == authority_id)
        ]
        # A municipality reimbursed for work on another authority's activation sees what it is
        # owed, not who pays for that activation nor what the incident was called.
        lines = [
            line
            if line.authority_id in (authority_id, None)
            else replace(line, debtor_id=OTHER, title="", authority_id=None)
            for line in lines
        ]
    invoices: dict[str, Party] = {}
    reimbursements: dict[str, Party] = {}
    share = _party(ddh, orgs)

    def add(parties: dict[str, Party], org_id: str, line: ReportLine) -> None:
        party = parties.get(org_id)
        if party is None:
            party = parties[org_id] = _party(org_id, orgs)
        party.lines.append(line)

    for line in lines:
        mine = authority_id is None or line.authority_id == authority_id
        if _own_effort(line, ddh):
            # one line on the authority's invoice, 0 kr. (billing.own_effort), no reimbursement
            add(invoices, line.debtor_id, replace(line, text=statements.OWN_EFFORT, amount_ore=0))
            continue
        if line.debtor_id == ddh:
            if mine:
                share.lines.append(line)
        elif authority_id is None or line.debtor_id == authority_id:
            add(invoices, line.debtor_id, line)
        if authority_id is None or line.creditor_id == authority_id:
            add(reimbursements, line.creditor_id, line)
    position: dict[str | None, int] = {a.id: i for i, a in enumerate(activations)}
    for party in [*invoices.values(), *reimbursements.values(), share]:
        party.lines = _merged(party.lines, position)
    return Report(
        start=first,
        end=last,
        ddh_id=ddh,
        invoices=sorted(invoices.values(), key=lambda p: p.org_id),
        reimbursements=sorted(reimbursements.values(), key=lambda p: p.org_id),
        ddh_share=share,
    )


async def for_reader(
    session: AsyncSession,
    rules: OpeningRules,
    principal: Principal,
    first: date,
    last: date,
    *,
    now: datetime,
) -> Report:
    """The report for `first`..`last` as `principal` may read it (finance and admin: all of it;
    an authority: its share). The period must not run backwards nor exceed 400 days."""
    if last < first:
        raise InvalidInput("to", "must not be before from")
    if last - first > MAX_PERIOD:
        raise InvalidInput("to", "the period may be at most 400 days")
    scope = principal.org_id if principal.role is TokenRole.authority else None
    return await build(session, rules, first, last, now=now, authority_id=scope)
