"""Creating e-invoices and credit notes from final statements, and their state.

`create_for_period` is one transaction that first locks the year's number counter, so two
finance users pressing at once are served one after the other: the second sees what the first
invoiced and numbers after it. A final statement's lines for its authority go on one invoice
per authority and run; every adjustment of an invoiced activation becomes its own document:
a credit note referring to the invoice when it lowers what the authority owes, a new invoice
when it raises it (docs/domain.md#e-invoices).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.activations.models import Activation
from beredskab.auth.models import TokenRole
from beredskab.auth.service import Principal
from beredskab.calendar import OpeningRules
from beredskab.costs import report as reports
from beredskab.costs import statement as statements
from beredskab.costs.models import CostAdjustment
from beredskab.costs.report_lines import ReportLine
from beredskab.directory.models import Organisation
from beredskab.errors import Conflict, InvalidInput, NotFound
from beredskab.invoices import ubl
from beredskab.invoices.models import (
    Invoice,
    InvoiceActivation,
    InvoiceAdjustment,
    InvoiceCounter,
    InvoiceKind,
    InvoiceState,
)
from beredskab.unit_of_work import transaction

_NAMES = {
    "crisis_staff": "Krisestab",
    "contact_centre_shift": "Vagter i kontaktcentret",
    "expense": "Udlæg",
}
_HOURS = {True: "i åbningstiden", False: "uden for åbningstiden", None: ""}
# what finance may set by hand, and what the access point's receipt may say
TRANSITIONS = {
    InvoiceState.created: {InvoiceState.sent},
    InvoiceState.sent: {InvoiceState.accepted, InvoiceState.rejected},
    InvoiceState.rejected: {InvoiceState.sent},
    InvoiceState.accepted: set(),
}


@dataclass(frozen=True)
class InvoicingConfig:
    """DDH as seller, from settings (`INVOICE_*`, README): the address, the bank account, the
    payment terms and the VAT category with its exemption reason, as finance sets them. DDH's
    name, CVR and EAN come from its row in the directory."""

    street: str = ""
    city: str = ""
    postal_zone: str = ""
    bank_reg: str = ""
    bank_account: str = ""
    payment_days: int = 30
    vat_category: str = ""
    exemption_reason: str = ""


def _seller(config: InvoicingConfig, ddh: Organisation | None) -> ubl.Seller:
    missing = [
        name
        for name, value in (
            ("INVOICE_VAT_CATEGORY", config.vat_category),
            ("INVOICE_VAT_EXEMPTION_REASON", config.exemption_reason),
            ("INVOICE_BANK_REG", config.bank_reg),
            ("INVOICE_BANK_ACCOUNT", config.bank_account),
        )
        if not value
    ]
    if missing:
        raise Conflict(f"invoicing is not configured: set {', '.join(missing)}")
    if ddh is None or not ddh.cvr:
        raise Conflict("DDH has no CVR number in the directory")
    try:
        return ubl.Seller(
            name=ddh.name,
            cvr=ddh.cvr,
            ean=ddh.ean,
            street=config.street,
            city=config.city,
            postal_zone=config.postal_zone,
            bank_reg=config.bank_reg,
            bank_account=config.bank_account,
            payment_days=config.payment_days,
            vat_category=config.vat_category,
            exemption_reason=config.exemption_reason,
        )
    except ValueError as exc:
        raise Conflict(f"DDH cannot invoice: {exc}") from exc


def _buyer(org: Organisation) -> ubl.Buyer:
    missing = [k for k in ("cvr", "ean", "buyer_reference") if not getattr(org, k)]
    if missing:
        raise Conflict(f"{org.name} ({org.id}) has no {', '.join(missing)} in the directory")
    try:
        return ubl.Buyer(name=org.name, cvr=org.cvr, ean=org.ean, reference=org.buyer_reference)  # type: ignore[arg-type]
    except ValueError as exc:
        raise Conflict(f"{org.name} ({org.id}) cannot be invoiced: {exc}") from exc


async def _lock_series(session: AsyncSession, year: int) -> InvoiceCounter:
    """The year's counter row, locked until the transaction ends. Made when missing with
    INSERT … ON CONFLICT DO NOTHING, so two first runs of a year do not collide on it."""
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    await session.exec(  # type: ignore[call-overload]
        insert(InvoiceCounter).values(year=year, last=0).on_conflict_do_nothing()
    )
    return (
        await session.exec(
            select(InvoiceCounter).where(InvoiceCounter.year == year).with_for_update()
        )
    ).one()


def _take(counter: InvoiceCounter) -> tuple[str, int]:
    counter.last += 1
    return f"{counter.year}-{counter.last:05d}", counter.last


def _line(line: ReportLine) -> ubl.Line:
    hours = _HOURS[line.in_hours]
    name = _NAMES.get(line.category, line.category)
    if line.text:
        name = f"{name}, {line.text}"
    elif hours:
        name = f"{name}, {hours}"
    return ubl.Line(
        name=name,
        note=f"{line.ref} {line.title}".strip(),
        amount_ore=line.amount_ore,
        agent_micros=line.agent_micros if line.category != "expense" else None,
        rate_ore_per_hour=line.rate_ore_per_hour if line.category != "expense" else None,
    )


def _local_today(now: datetime, rules: OpeningRules) -> date:
    return now.astimezone(rules.tz).date()


async def create_for_period(
    session: AsyncSession,
    rules: OpeningRules,
    config: InvoicingConfig,
    first: date,
    last: date,
    *,
    by: str,
    now: datetime,
) -> list[Invoice]:
    """Invoices for the final statements of activations that ended in first..last and are not
    invoiced yet, and a document for each adjustment of an invoiced activation not yet on one.
    Returns the documents made (none when there is nothing new)."""
    if last < first:
        raise InvalidInput("to", "must not be before from")
    if last - first > reports.MAX_PERIOD:
        raise InvalidInput("to", "the period may be at most 400 days")
    issued = _local_today(now, rules)
    async with transaction(session):
        counter = await _lock_series(session, issued.year)
        ddh = await statements.ddh_id(session)
        orgs = {o.id: o for o in (await session.exec(select(Organisation))).all()}
        seller = _seller(config, orgs.get(ddh))
        invoiced = set((await session.exec(select(InvoiceActivation.activation_id))).all())
        report = await reports.build(session, rules, first, last, now=now)
        made: list[Invoice] = []

        def document(kind: InvoiceKind, debtor: str, lines: list[ubl.Line], **kw) -> Invoice:
            number, seq = _take(counter)
            due = issued + timedelta(days=config.payment_days)
            doc = ubl.Document(
                kind=kind.value,
                number=number,
                issue_date=issued,
                due_date=due if kind is InvoiceKind.invoice else None,
                seller=seller,
                buyer=_buyer(orgs[debtor]),
                lines=tuple(lines),
                **kw,
            )
            row = Invoice(
                number=number,
                year=issued.year,
                seq=seq,
                kind=kind,
                debtor_id=debtor,
                refers_to=doc.refers_to[0] if doc.refers_to else None,
                period_start=first,
                period_end=last,
                issue_date=issued,
                due_date=doc.due_date,
                total_ore=doc.total_ore,
                xml=ubl.build(doc),
                state=InvoiceState.created,
                state_at=now,
                state_by=by,
                created_at=now,
                created_by=by,
            )
            session.add(row)
            made.append(row)
            return row

        for party in report.invoices:
            lines = [
                line
                for line in party.lines
                if line.status == "final"
                and line.category != "adjustment"
                and line.activation_id not in invoiced
            ]
            if not lines:
                continue
            row = document(
                InvoiceKind.invoice,
                party.org_id,
                [_line(line) for line in lines],
                note=f"Beredskab, aktiveringer afsluttet {first.isoformat()} - {last.isoformat()}",
            )
            await session.flush()
            for activation_id in dict.fromkeys(line.activation_id for line in lines):
                session.add(
                    InvoiceActivation(activation_id=activation_id, invoice_number=row.number)
                )
                invoiced.add(activation_id)
        await session.flush()
        for adjustment, original, activation in await _open_adjustments(session, ddh):
            credit = adjustment.amount_ore < 0
            line = ubl.Line(
                name=f"Regulering: {adjustment.reason}",
                note=f"{activation.ref} {activation.title}",
                amount_ore=abs(adjustment.amount_ore),
            )
            row = document(
                InvoiceKind.credit_note if credit else InvoiceKind.invoice,
                adjustment.debtor_id,
                [line],
                refers_to=(original.number, original.issue_date),
                note=f"Regulering af faktura {original.number}",
            )
            await session.flush()
            session.add(InvoiceAdjustment(adjustment_id=adjustment.id, invoice_number=row.number))
    return made


async def _open_adjustments(
    session: AsyncSession, ddh: str
) -> list[tuple[CostAdjustment, Invoice, Activation]]:
    """Adjustments an authority owes on an invoiced activation that no document covers yet."""
    rows = await session.exec(
        select(CostAdjustment, Invoice, Activation)
        .join(InvoiceActivation, InvoiceActivation.activation_id == CostAdjustment.activation_id)
        .join(Invoice, Invoice.number == InvoiceActivation.invoice_number)
        .join(Activation, Activation.id == CostAdjustment.activation_id)
        .outerjoin(InvoiceAdjustment, InvoiceAdjustment.adjustment_id == CostAdjustment.id)
        .where(
            InvoiceAdjustment.adjustment_id.is_(None),  # type: ignore[union-attr]
            CostAdjustment.debtor_id != ddh,
            CostAdjustment.debtor_id == Invoice.debtor_id,
        )
        .order_by(CostAdjustment.id)
    )
    return list(rows.all())


def _visible(principal: Principal, row: Invoice | None, number: str) -> Invoice:
    if row is None or (principal.role is TokenRole.authority and row.debtor_id != principal.org_id):
        raise NotFound(f"invoice {number} not found")
    return row


async def list_for(
    session: AsyncSession, principal: Principal, first: date, last: date
) -> list[Invoice]:
    """The documents of runs whose period starts in first..last (an authority: its own)."""
    if last < first:
        raise InvalidInput("to", "must not be before from")
    query = select(Invoice).where(Invoice.period_start >= first, Invoice.period_start <= last)
    if principal.role is TokenRole.authority:
        query = query.where(Invoice.debtor_id == principal.org_id)
    return list((await session.exec(query.order_by(Invoice.year, Invoice.seq))).all())


async def get(session: AsyncSession, principal: Principal, number: str) -> Invoice:
    return _visible(principal, await session.get(Invoice, number), number)


async def set_state(
    session: AsyncSession,
    number: str,
    state: InvoiceState,
    *,
    note: str,
    by: str,
    now: datetime,
) -> Invoice:
    """Move a document to `state` (finance by hand, or an access point's receipt)."""
    async with transaction(session):
        row = (
            await session.exec(select(Invoice).where(Invoice.number == number).with_for_update())
        ).first()
        if row is None:
            raise NotFound(f"invoice {number} not found")
        if state not in TRANSITIONS[row.state]:
            raise Conflict(f"invoice {number} is {row.state}: it cannot become {state}")
        row.state, row.state_at, row.state_by, row.state_note = state, now, by, note
    return row
