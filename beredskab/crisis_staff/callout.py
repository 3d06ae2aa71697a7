"""Role call-out: page rank by rank, escalate on timeout, decline or failed delivery.

What to do next is decided by the pure `beredskab.escalation.decide`; this module loads its inputs,
carries the decision out (page rows, outbox rows, deadline rows, log entries); what an answer does
is in `answers`.
Every function here runs inside a transaction that holds the activation row lock.

Size: some 440 lines: a role's whole call-out in one place (start, page, skip, escalate,
alert, time out); splitting it would part the steps from the rule's decisions they carry out.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab import deadlines, direct, escalation, staged
from beredskab.activations.models import (
    Activation,
    ActivationStatus,
    CalloutState,
    Page,
    PagePurpose,
    PageState,
    RoleCallout,
)
from beredskab.activations.notify import sms_person, state_changed, steering_people
from beredskab.activations.pages import (
    NewPage,
    create_page,
    draw_codes,
    ids_ahead,
    insert_pages,
    keep_free,
    page_id_ahead,
    page_row,
    taken_codes,
)
from beredskab.activations.voicecalls import schedule_call
from beredskab.directory.models import Person, RosterEntry
from beredskab.directory.verification import candidate, phone_state, why_not_relied_on
from beredskab.eventlog import service as eventlog
from beredskab.playbook import Playbook
from beredskab.roles import Role

PAGE_TIMEOUT = "page_timeout"


def role_name(playbook: Playbook, role: str) -> str:
    return playbook.roles[Role(role)].name


async def get_callout(session: AsyncSession, activation_id: str, role: str) -> RoleCallout:
    callout = (
        await session.exec(
            select(RoleCallout).where(
                RoleCallout.activation_id == activation_id, RoleCallout.role == role
            )
        )
    ).first()
    assert callout is not None, f"no call-out for {role} in {activation_id}"
    return callout


async def _roster(session: AsyncSession, role: str) -> list[escalation.Candidate]:
    rows = await session.exec(
        select(RosterEntry, Person)
        .join(Person, Person.id == RosterEntry.person_id)
        .where(RosterEntry.role == role)
        .order_by(RosterEntry.rank)
    )
    return [candidate(e.rank, p) for e, p in rows.all()]


async def pages_for_role(session: AsyncSession, activation_id: str, role: str) -> list[Page]:
    rows = await session.exec(
        select(Page).where(Page.activation_id == activation_id, Page.role == role).order_by(Page.id)
    )
    return list(rows.all())


_PERSON = tuple(c.key for c in Person.__table__.c)  # type: ignore[attr-defined]


def _rosters(*extra):  # noqa: ANN202 - a Select
    return (
        select(RosterEntry.role, RosterEntry.rank, *Person.__table__.c, *extra)  # type: ignore[attr-defined]
        .join(Person, Person.id == RosterEntry.person_id)
        .order_by(RosterEntry.role, RosterEntry.rank)
    )


_ROSTERS = direct.Query(_rosters)
# PostgreSQL: with a new page id per roster entry (`page_id_ahead`), and which of the codes
# drawn for the first wave are taken (`taken_codes`): its pages then need no statement of their
# own, neither to check their codes nor to be inserted (written with the commit's combined write)
_ROSTERS_AHEAD = direct.Query(lambda: _rosters(page_id_ahead(), taken_codes()))


async def _roster_rows(
    session: AsyncSession, activation: Activation
) -> tuple[list[tuple], list[int] | None]:
    """The rosters' rows (role, rank, the person's columns), and on PostgreSQL a new page id per
    row, the first wave's codes checked in the same statement (`_ROSTERS_AHEAD`)."""
    if not ids_ahead(session):
        return await _ROSTERS.rows(session), None
    drawn = draw_codes()
    got = await _ROSTERS_AHEAD.rows(
        session, activation_id=activation.id, open=PageState.open, **drawn
    )
    if got:  # the codes were checked (no roster, no row: then `new_code` asks, if ever)
        keep_free(session, activation.id, drawn, got[0][-1])
    return [row[:-2] for row in got], [row[-2] for row in got]


async def start_callouts(
    session: AsyncSession, playbook: Playbook, activation: Activation, now: datetime
) -> None:
    """Page the four roles' first candidates together: one roster query, and their pages as
    rows (`insert_pages`): one INSERT on SQLite; on PostgreSQL staged, with the ids and codes
    the roster query took and checked, and written with the commit like the call-outs."""
    rosters: dict[str, list[escalation.Candidate]] = {}
    # read directly, as plain Person objects outside the session: nothing here changes them
    people: dict[str, Person] = {}
    rows, ids = await _roster_rows(session, activation)
    for role, rank, *values in rows:
        fields = dict(zip(_PERSON, values, strict=True))
        person = people.get(fields["id"]) or Person.model_construct(**fields)
        people[person.id] = person
        rosters.setdefault(role, []).append(candidate(rank, person))
    planned: list[tuple[RoleCallout, escalation.PageNext]] = []
    pages: list[dict] = []
    unstaffed: list[str] = []
    for role in Role:
        # born calling, and read only: what changes a call-out loads it (`get_callout`)
        callout = RoleCallout.model_construct(activation_id=activation.id, role=role, since=now)
        staged.stage(session, _CALLOUTS, {k: getattr(callout, k) for k in _CALLOUT_COLUMNS})
        first = escalation.decide(rosters.get(role, []), [], playbook.callout.max_passes)
        if isinstance(first, escalation.PageNext):
            _log_skipped(session, playbook, activation, callout, first.skipped, people, now)
            pages.append(
                await page_row(
                    session,
                    activation,
                    PagePurpose.role,
                    people[first.person_id],
                    now,
                    role=role,
                    rank=first.rank,
                    pass_no=first.pass_no,
                    expires_at=_expiry(playbook, role, now),
                )
            )
            planned.append((callout, first))
        else:
            unstaffed.append(role)
    new_pages = await insert_pages(session, pages, ids=ids)
    for (callout, step), page in zip(planned, new_pages, strict=True):
        await _announce_page(
            session, playbook, activation, callout, step, page, now, person=people[page.person_id]
        )
    for role in unstaffed:
        await advance(
            session, playbook, activation, await get_callout(session, activation.id, role), now
        )


_CALLOUTS = RoleCallout.__table__  # type: ignore[attr-defined]
_CALLOUT_COLUMNS = tuple(c.key for c in _CALLOUTS.c if not c.primary_key)


async def advance(
    session: AsyncSession,
    playbook: Playbook,
    activation: Activation,
    callout: RoleCallout,
    now: datetime,
) -> None:
    """Ask the escalation rule what to do for this role, and do it."""
    if activation.status != ActivationStatus.active or callout.state in (
        CalloutState.filled,
        CalloutState.closed,
    ):
        return
    history = await pages_for_role(session, activation.id, callout.role)
    decision = escalation.decide(
        await _roster(session, callout.role),
        [escalation.PastPage(p.rank, p.person_id, p.pass_no, p.state) for p in history],
        playbook.callout.max_passes,
    )
    name = role_name(playbook, callout.role)
    match decision:
        case escalation.PageNext():
            await _page_role(session, playbook, activation, callout, decision, now)
        case escalation.PassExhausted(pass_no=pass_no, next_page=next_page):
            await _log_skipped_of(session, playbook, activation, callout, decision.skipped, now)
            final = next_page is None
            await _alert_unfilled(session, playbook, activation, callout, pass_no, final, now)
            if next_page is not None:
                await _page_role(session, playbook, activation, callout, next_page, now)
        case escalation.NoCandidates():
            eventlog.append(
                session,
                activation,
                "role_no_candidates",
                f"Ingen aktive personer på vagtlisten for {name}.",
                now=now,
            )
            await _alert_unfilled(session, playbook, activation, callout, 1, True, now)
        case _:
            return  # Wait or Filled: nothing to do


def _expiry(playbook: Playbook, role: str, now: datetime) -> datetime:
    """When a role's page sent `now` times out (and the call-out moves on)."""
    return now + timedelta(minutes=playbook.roles[Role(role)].ack_timeout_minutes)


async def _announce_page(
    session: AsyncSession,
    playbook: Playbook,
    activation: Activation,
    callout: RoleCallout,
    step: escalation.PageNext,
    page: Page | NewPage,
    now: datetime,
    *,
    person: Person,
) -> None:
    """After the page has its id: the SMS, the escalation deadline, the log entry."""
    assert page.expires_at is not None
    name = role_name(playbook, callout.role)
    sms_person(
        session,
        playbook,
        activation,
        person,
        "role_page",
        page_id=page.id,
        ref=activation.ref,
        title=activation.title,
        role_name=name,
        code=page.code,
    )
    deadlines.schedule(
        session, PAGE_TIMEOUT, page.expires_at, activation_id=activation.id, subject_id=page.id
    )
    spec = playbook.roles[Role(callout.role)]
    schedule_call(session, activation, page, spec.call_delay(spec.ack_timeout_minutes))
    if callout.state != CalloutState.calling:  # a new call-out is born calling: nothing to flush
        callout.state = CalloutState.calling
        session.add(callout)
    text = f"{person.name} kaldt som {name} (rang {step.rank}, runde {step.pass_no})."
    data = {
        "role": callout.role,
        "person_id": person.id,
        "rank": step.rank,
        "pass_no": step.pass_no,
        "page_id": page.id,
    }
    if (state := phone_state(person)) != "verified":
        # nobody on the roster had a number to rely on: someone is still tried (escalation)
        text += (
            f" Bemærk: {why_not_relied_on(person)}, men ingen på vagtlisten"
            " har et bekræftet nummer, der kan nås."
        )
        data["phone"] = state
    eventlog.append(session, activation, "page_sent", text, data=data, now=now)


async def _page_role(
    session: AsyncSession,
    playbook: Playbook,
    activation: Activation,
    callout: RoleCallout,
    step: escalation.PageNext,
    now: datetime,
) -> None:
    await _log_skipped_of(session, playbook, activation, callout, step.skipped, now)
    person = await session.get(Person, step.person_id)
    assert person is not None
    page = await create_page(
        session,
        activation,
        PagePurpose.role,
        person,
        now,
        role=callout.role,
        rank=step.rank,
        pass_no=step.pass_no,
        expires_at=_expiry(playbook, callout.role, now),
    )
    await _announce_page(session, playbook, activation, callout, step, page, now, person=person)


async def _log_skipped_of(
    session: AsyncSession,
    playbook: Playbook,
    activation: Activation,
    callout: RoleCallout,
    skipped: tuple[escalation.Candidate, ...],
    now: datetime,
) -> None:
    if not skipped:
        return
    ids = [c.person_id for c in skipped]
    people = {p.id: p for p in (await session.exec(select(Person).where(Person.id.in_(ids))))}
    _log_skipped(session, playbook, activation, callout, skipped, people, now)


def _log_skipped(
    session: AsyncSession,
    playbook: Playbook,
    activation: Activation,
    callout: RoleCallout,
    skipped: tuple[escalation.Candidate, ...],
    people: dict[str, Person],
    now: datetime,
) -> None:
    """Why a candidate was passed over: their number cannot be relied on (#15.2)."""
    name = role_name(playbook, callout.role)
    for passed in skipped:
        person = people[passed.person_id]
        eventlog.append(
            session,
            activation,
            "page_skipped",
            f"{person.name} springes over som {name} (rang {passed.rank}): "
            f"{why_not_relied_on(person)}.",
            data={
                "role": callout.role,
                "person_id": person.id,
                "rank": passed.rank,
                "phone": phone_state(person),
            },
            now=now,
        )


async def _alert_unfilled(
    session: AsyncSession,
    playbook: Playbook,
    activation: Activation,
    callout: RoleCallout,
    pass_no: int,
    final: bool,
    now: datetime,
) -> None:
    name = role_name(playbook, callout.role)
    recipients: dict[str, Person] = {p.id: p for p in await steering_people(session)}
    leader = await get_callout(session, activation.id, Role.crisis_leader)
    if leader.state == CalloutState.filled and leader.person_id:
        person = await session.get(Person, leader.person_id)
        if person is not None:
            recipients[person.id] = person
    key = "role_unfilled_final" if final else "role_unfilled"
    for person in recipients.values():
        sms_person(
            session,
            playbook,
            activation,
            person,
            key,
            ref=activation.ref,
            role_name=name,
            pass_no=pass_no,
        )
    if final:
        callout.state = CalloutState.unfilled
        session.add(callout)
    eventlog.append(
        session,
        activation,
        "role_unfilled",
        f"Rolle {name} er ikke besat efter runde {pass_no}"
        + (" — ingen flere forsøg." if final else " — ny runde starter."),
        data={"role": callout.role, "pass_no": pass_no, "final": final},
        now=now,
    )
    state_changed(
        session, activation, "role_unfilled", now, role=callout.role, pass_no=pass_no, final=final
    )


async def page_undeliverable(
    session: AsyncSession,
    playbook: Playbook,
    activation: Activation,
    page: Page,
    reason: str,
    now: datetime,
) -> None:
    """A page that cannot reach its person moves the call-out on at once."""
    if page.state != PageState.open:
        return
    page.state = PageState.failed
    page.answered_at = now
    session.add(page)
    eventlog.append(
        session,
        activation,
        "page_failed",
        f"Kald kunne ikke leveres ({reason}); går videre.",
        data={"page_id": page.id, "role": page.role, "reason": reason},
        now=now,
    )
    if page.purpose == PagePurpose.role and page.role:
        await advance(
            session, playbook, activation, await get_callout(session, activation.id, page.role), now
        )


async def page_timed_out(
    session: AsyncSession, playbook: Playbook, activation: Activation, page: Page, now: datetime
) -> None:
    if page.state != PageState.open or activation.status != ActivationStatus.active:
        return
    page.state = PageState.expired
    session.add(page)
    eventlog.append(
        session,
        activation,
        "page_expired",
        f"Intet svar fra rang {page.rank} for {role_name(playbook, page.role or '')}; eskalerer.",
        data={"page_id": page.id, "role": page.role},
        now=now,
    )
    await advance(
        session,
        playbook,
        activation,
        await get_callout(session, activation.id, page.role or ""),
        now,
    )


async def cancel_open_role_pages(session: AsyncSession, activation_id: str) -> None:
    await session.exec(
        update(Page)
        .where(Page.activation_id == activation_id, Page.state == PageState.open)
        .values(state=PageState.cancelled)
    )
