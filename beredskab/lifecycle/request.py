"""Requesting an activation: validate, number it, log it, and page the steering group for its
endorsement (a steering member's own request counts as endorsed). One transaction per request;
an `Idempotency-Key` returns the activation the same caller made before."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab import deadlines, direct, staged
from beredskab.activations.config import ActivationConfig
from beredskab.activations.models import (
    Activation,
    ActivationStatus,
    PagePurpose,
)
from beredskab.activations.notify import sms_person, state_changed, steering_people, tell_authority
from beredskab.activations.pages import create_page, ids_ahead
from beredskab.activations.schemas import ActivationCreate
from beredskab.activations.voicecalls import schedule_call
from beredskab.auth.models import TokenRole
from beredskab.auth.service import Principal
from beredskab.crisis_staff import action_cards as action_cards
from beredskab.danish import count
from beredskab.db import ACTIVATION_REF_LOCK, taken_key
from beredskab.directory.models import Organisation
from beredskab.directory.service import known_org
from beredskab.drills import service as drills
from beredskab.drills.models import DrillStatus
from beredskab.errors import Conflict, Forbidden, InvalidInput, TryAgain
from beredskab.eventlog import service as eventlog
from beredskab.lifecycle.endorsement import ENDORSE_TIMEOUT, apply_endorsement
from beredskab.unit_of_work import transaction


async def _existing_for_key(
    session: AsyncSession, principal: Principal, key: str | None
) -> Activation | None:
    if not key:
        return None
    # a key is the caller's own: their token's, or a signed-in person's when there is no token
    caller = (
        Activation.created_by_token_id == principal.token_id
        if principal.token_id is not None
        else (
            Activation.created_by_token_id.is_(None)  # type: ignore[union-attr]
            & (Activation.created_by_person_id == principal.person_id)
        )
    )
    return (
        await session.exec(select(Activation).where(caller, Activation.idempotency_key == key))
    ).first()


def _same_request(existing: Activation, data: ActivationCreate, authority_id: str) -> bool:
    asked = (
        data.title,
        data.description,
        authority_id,
        data.contact_name,
        data.contact_phone,
        list(data.channels),
        data.exercise,
        data.out_of_hours_requested,
        data.callback_url,
    )
    held = (
        existing.title,
        existing.description,
        existing.authority_id,
        existing.contact_name,
        existing.contact_phone,
        list(existing.channels),
        existing.exercise,
        existing.out_of_hours_requested,
        existing.callback_url,
    )
    return asked == held


async def _next_ref(session: AsyncSession, now: datetime) -> tuple[str, bool]:
    """The year's next reference, and whether a drill is open (`drills.give_way`'s check, asked
    in the same statement). The caller holds `ACTIVATION_REF_LOCK` (taken with the
    organisation's read): requests that come at once number one after another (an advisory
    lock held to their commit on PostgreSQL), so none is refused for a taken number."""
    prefix = f"DDH-{now.year}-"
    ((count, drill),) = await _REFS_OF_YEAR.rows(session, prefix=prefix, open=DrillStatus.open)
    return f"{prefix}{count + 1:04d}", drill is not None


_REFS_OF_YEAR = direct.Query(
    lambda: select(
        select(func.count())
        .select_from(Activation)
        .where(Activation.ref.startswith(bindparam("prefix")))  # type: ignore[union-attr]
        .scalar_subquery(),
        drills.open_drill().scalar_subquery(),
    )
)


async def request_activation(
    session: AsyncSession,
    cfg: ActivationConfig,
    principal: Principal,
    data: ActivationCreate,
    *,
    idempotency_key: str | None,
    now: datetime,
) -> tuple[Activation, bool]:
    """Create an activation (or return the one this caller made with the same key).

    Returns the activation and whether it was created now."""
    if principal.role is TokenRole.authority:
        if data.authority_id and data.authority_id != principal.org_id:
            raise Forbidden("an authority may only activate on its own behalf")
        authority_id = principal.org_id
    else:
        if not data.authority_id:
            raise InvalidInput("authority_id", "is required when a steering member or admin asks")
        authority_id = data.authority_id
    if data.callback_url is not None:  # resolved before the transaction: DNS may be slow
        reason = await cfg.callback_refusal(data.callback_url)
        if reason is not None:
            raise InvalidInput("callback_url", reason)
    last_race: TryAgain | None = None
    for _attempt in range(5):
        try:
            async with transaction(session):
                existing = await _existing_for_key(session, principal, idempotency_key)
                if existing is not None:
                    if not _same_request(existing, data, authority_id):
                        # as payment APIs do: a key names one request, never another
                        raise InvalidInput(
                            "Idempotency-Key",
                            f"was used for a different request ({existing.ref}); "
                            "use a new key for a new request",
                        )
                    return existing, False
                # the organisation, and the lock that numbers activations one after another
                org = await known_org(
                    session, "authority_id", authority_id, serialise=ACTIVATION_REF_LOCK
                )
                activation = await _create(session, cfg, principal, data, org, idempotency_key, now)
            return activation, True
        except IntegrityError as exc:
            if not taken_key(exc, "activation"):
                raise
            continue  # a concurrent request took our ref or our idempotency key: look again
        except TryAgain as exc:
            last_race = exc  # a page's reply code another request gave the same person meanwhile
            continue
    if last_race is not None:
        raise last_race
    raise Conflict("could not allocate an activation reference; try again")


async def _create(
    session: AsyncSession,
    cfg: ActivationConfig,
    principal: Principal,
    data: ActivationCreate,
    org: Organisation,
    idempotency_key: str | None,
    now: datetime,
) -> Activation:
    by = principal.display_name
    ref, drill_open = await _next_ref(session, now)
    activation = Activation(
        id=str(uuid.uuid4()),
        ref=ref,
        title=data.title,
        description=data.description,
        authority_id=org.id,
        contact_name=data.contact_name,
        contact_phone=data.contact_phone,
        channels=list(data.channels),
        exercise=data.exercise,
        out_of_hours_requested=data.out_of_hours_requested,
        callback_url=data.callback_url,
        playbook_hash=cfg.playbook_hash,
        created_by_token_id=principal.token_id,
        created_by_person_id=principal.person_id,
        created_by=by,
        idempotency_key=idempotency_key,
        created_at=now,
    )
    if principal.role is TokenRole.steering:
        # endorsed with the request (`apply_endorsement` below): inserted so, not updated after
        activation.status = ActivationStatus.active
        activation.endorsed_at, activation.endorsed_by = now, by
    if principal.role is TokenRole.steering and ids_ahead(session):
        # endorsed at once, its first pages staged (their ids taken ahead): the activation is
        # written with them, in the commit's combined write, its log's head in its own row
        staged.stage(session, Activation.__table__, staged.row_of(activation))
    else:
        await staged.insert_now(session, [activation])  # one direct INSERT: pages refer to it
    if not data.exercise:  # a call-out drill gives way: its SMS must not delay the real pages
        await drills.give_way(session, now, open_seen=drill_open)
    eventlog.append(
        session,
        activation,
        "requested",
        f"{'ØVELSE: ' if data.exercise else ''}Aktivering anmodet af {by} for {org.name}: "
        f"{data.title}",
        actor=by,
        data={"authority_id": org.id, "playbook_hash": cfg.playbook_hash},
        now=now,
    )
    state_changed(session, activation, "requested", now)
    if principal.role is TokenRole.steering:
        await apply_endorsement(
            session,
            cfg,
            activation,
            by=by,
            person_id=principal.person_id,
            via="anmodning fra styregruppemedlem",
            now=now,
            fresh=True,
        )
    else:
        await _page_steering(session, cfg, activation, org, now)
        # after the steering pages: the pages go first in the dispatcher's queue
        tell_authority(session, cfg.playbook, activation, "authority_received", title=data.title)
    return activation


async def _page_steering(
    session: AsyncSession,
    cfg: ActivationConfig,
    activation: Activation,
    org: Organisation,
    now: datetime,
) -> None:
    members = await steering_people(session)
    for person in members:
        page = await create_page(session, activation, PagePurpose.endorse, person, now)
        sms_person(
            session,
            cfg.playbook,
            activation,
            person,
            "endorse_request",
            page_id=page.id,
            ref=activation.ref,
            authority=org.name,
            title=activation.title,
            code=page.code,
        )
        policy = cfg.playbook.endorsement
        schedule_call(session, activation, page, policy.call_delay(policy.timeout_minutes))
    timeout = timedelta(minutes=cfg.playbook.endorsement.timeout_minutes)
    deadlines.schedule(session, ENDORSE_TIMEOUT, now + timeout, activation_id=activation.id)
    eventlog.append(
        session,
        activation,
        "endorsement_requested",
        f"{count(len(members), 'styregruppemedlem', 'styregruppemedlemmer')} bedt om godkendelse.",
        data={"steering": [p.id for p in members]},
        now=now,
    )
