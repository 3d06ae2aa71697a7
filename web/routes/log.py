"""Logbog: the log keeper's page. Write an entry (or a correction), follow the timeline live,
filter it, check its chain, download it, archive it. The same services the API's log calls."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated, Literal, get_args
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from beredskab.activations.repository import get_visible
from beredskab.auth.identity import Identity
from beredskab.auth.models import TokenRole as R
from beredskab.crisis_staff.log_writers import may_write_log
from beredskab.errors import InvalidInput
from beredskab.eventlog import files, logbook, timeline
from beredskab.eventlog.schemas import LogEntryCreate, ManualKind
from beredskab.eventlog.service import verify_visible_log, verify_visible_log_cached
from beredskab.metadata import utcnow
from web import live
from web.deps import Me, ReadSession, WriteSession, acting, activation_tabs, allow, viewer
from web.forms import danish_reason, local_input, parse, whole_number
from web.render import render

router = APIRouter(include_in_schema=False)
# any signed-in person reads (an authority only its own); the crisis staff writes (and the log's
# own rule decides which of them); steering or the crisis leader archives
Writer = Annotated[Identity, Depends(allow(R.crisis_staff))]
Archiver = Annotated[Identity, Depends(allow(R.steering, R.crisis_staff))]
PAGE = "/aktivering/{activation_id}/logbog"
LOCAL_INPUT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends
# the log service's refusals a form can meet, in Danish
_REASONS = {
    "must not be in the future": "Tidspunktet må ikke ligge i fremtiden.",
    "no entry": "Indlægget, der rettes, findes ikke i denne logbog.",
}


def _html(request: Request, template: str, context: dict) -> str:
    return render(request, template, context).body.decode()


def _blank(tz: ZoneInfo, correcting=None) -> dict:  # noqa: ANN001 - a LogEntryRead
    shown = local_input(utcnow(), tz)
    manual = correcting is not None and correcting.kind in get_args(ManualKind)
    return {
        "kind": correcting.kind if manual else "information",
        "text": correcting.text if manual else "",
        "occurred_at": shown,
        "shown_at": shown,
    }


async def _may_write(session, me: Identity, activation) -> bool:  # noqa: ANN001
    """Whether to offer the form: the log's own rule (beredskab.crisis_staff.log_writers, the
    one the group writer enforces on every entry) for a crisis-staff person, not archived."""
    if activation.archived_at is not None or not me.has(R.crisis_staff):
        return False
    return await may_write_log(session, activation.id, me.person_id)


async def _page(
    request: Request,
    session,  # noqa: ANN001
    me: Identity,
    activation_id: str,
    *,
    form: dict | None = None,
    errors: dict | None = None,
    corrects: int | None = None,
    status: int = 200,
) -> Response:
    q = request.query_params
    filters = {k: q.get(k, "")[:200] for k in ("type", "af", "tekst")}
    older = q.get("aeldre") or None
    if older and not timeline.is_cursor(older, "newest"):
        older = None  # a mangled link: the page from the newest entry
    principal = viewer(me)
    book = await logbook.log_book(
        session,
        activation_id,
        principal,
        kind=filters["type"],
        author=filters["af"],
        text=filters["tekst"],
        older=older,
    )
    a = book.activation
    page = PAGE.format(activation_id=a.id)
    tz = request.app.state.settings.tz
    may_write = await _may_write(session, me, a)
    if corrects is None:
        corrects = whole_number(q.get("ret"))
    correcting = None
    if may_write and corrects:
        correcting = await logbook.entry(session, a.id, principal, corrects)
    archivable = a.archived_at is None and a.status in ("stood_down", "rejected", "cancelled")
    may_archive = archivable and (
        me.has(R.steering)
        or (me.has(R.crisis_staff) and await logbook.is_crisis_leader(session, a.id, me.person_id))
    )
    live_query = {"after": a.log_seq, **{k: v for k, v in filters.items() if v}}
    return render(
        request,
        "log.html",
        {
            "activation": a,
            "tabs": activation_tabs(me, a.id),
            "tab": "logbog",
            "tab_title": "Logbog",
            "book": book,
            "page": page,
            "filters": filters,
            "may_write": may_write,
            "may_archive": may_archive,
            "form": form or _blank(tz, correcting),
            "errors": errors or {},
            "correcting": correcting,
            "focus": correcting is not None or bool(errors),
            "live": None if older else f"{page}/live?{urlencode(live_query)}",
            "older_href": f"{page}?{urlencode({**filters, 'aeldre': book.older or ''})}",
        },
        status=status,
    )


@router.get(PAGE)
async def log_page(activation_id: str, request: Request, me: Me, session: ReadSession) -> Response:
    return await _page(request, session, me, activation_id)


def _occurred_at(raw: str, shown: str, tz: ZoneInfo) -> tuple[datetime | None, str | None]:
    """The time the form names, aware; None if left as shown (then it is the time of saving)."""
    if not raw or raw == shown:
        return None, None
    try:
        local = datetime.strptime(raw, LOCAL_INPUT)
    except ValueError:
        return None, "Skriv dato og klokkeslæt, fx 04-12-2026 14:05."
    return local.replace(tzinfo=tz), None


@router.post(PAGE)
async def write_entry(
    activation_id: str, request: Request, me: Writer, session: WriteSession
) -> Response:
    principal = acting(me, R.crisis_staff)
    tz = request.app.state.settings.tz
    raw = await request.form()
    form = {k: str(raw.get(k, "")) for k in ("kind", "text", "occurred_at", "shown_at")}
    raw_corrects = str(raw.get("corrects", "")).strip()
    corrects = whole_number(raw_corrects)
    occurred_at, time_error = _occurred_at(form["occurred_at"], form["shown_at"], tz)
    values = {"kind": form["kind"], "text": form["text"].strip(), "occurred_at": occurred_at}
    data, errors = parse(LogEntryCreate, {**values, "corrects": corrects})
    if time_error:
        errors["occurred_at"] = time_error
    if raw_corrects and corrects is None:
        data, errors["corrects"] = None, _REASONS["no entry"]
    htmx = bool(request.headers.get("HX-Request"))
    if data is not None and not errors:
        try:
            entry = await request.app.state.runtime.log_appender.append(
                activation_id,
                data,
                author=principal.display_name,
                person_id=me.person_id,
                now=utcnow(),
            )
        except InvalidInput as exc:
            errors = {p.field: _danish(p.reason) for p in exc.problems}
        else:
            page = PAGE.format(activation_id=activation_id)
            if not htmx:
                return RedirectResponse(f"{page}#indlaeg-{entry.seq}", status_code=303)
            # the form again, empty, with the focus in its text; the entry on top of the
            # timeline (the live feed brings it too: log.js keeps one of each)
            form = _blank(tz)
            body = _html(
                request,
                "_log_form.html",
                {"page": page, "form": form, "errors": {}, "correcting": None, "focus": True},
            ) + _html(
                request,
                "_log_new.html",
                {"entries": [entry], "oob_rows": True, "may_write": True, "page": page},
            )
            return Response(body, media_type="text/html", headers={"Cache-Control": "no-store"})
    if htmx:  # the form again with its errors (htmx swaps only 2xx answers)
        visible = await get_visible(session, viewer(me), activation_id)
        page = PAGE.format(activation_id=visible.id)
        correcting = (
            await logbook.entry(session, visible.id, viewer(me), corrects) if corrects else None
        )
        context = {"page": page, "form": form, "errors": errors, "correcting": correcting}
        return render(request, "_log_form.html", {**context, "focus": True})
    return await _page(
        request, session, me, activation_id, form=form, errors=errors, corrects=corrects, status=422
    )


def _danish(reason: str) -> str:
    return next((d for e, d in _REASONS.items() if e in reason), None) or danish_reason(reason)


@router.get(PAGE + "/kontrol")
async def verify(activation_id: str, request: Request, me: Me, session: ReadSession) -> Response:
    if request.headers.get("HX-Request"):  # the badge, on each page load: a recent result
        verified = await verify_visible_log_cached(session, activation_id, viewer(me), now=utcnow())
        return render(request, "_log_verify.html", {"verified": verified})
    verified = await verify_visible_log(session, activation_id, viewer(me))
    a = await get_visible(session, viewer(me), activation_id)
    return render(
        request,
        "log_verify.html",
        {
            "verified": verified,
            "activation": a,
            "tabs": activation_tabs(me, a.id),
            "tab": "logbog",
            "tab_title": "Kontrol af logbogen",
            "page": PAGE.format(activation_id=a.id),
        },
    )


@router.post(PAGE + "/arkiver")
async def archive(activation_id: str, me: Archiver, session: WriteSession) -> Response:
    principal = acting(me, R.steering, R.crisis_staff)  # the service: steering or the leader
    await timeline.archive(session, activation_id, principal, now=utcnow())
    return RedirectResponse(PAGE.format(activation_id=activation_id), status_code=303)


@router.get(PAGE + "/live")
async def live_feed(
    activation_id: str,
    request: Request,
    me: Me,
    session: ReadSession,
    after: str = "",
    type: str = "",  # noqa: A002 - the filter's name on the page
    af: str = "",
    tekst: str = "",
    last_event_id: str | None = Header(default=None),
) -> StreamingResponse:
    """New entries as rendered rows (Server-Sent Events 'entry', id = seq), filtered as the page;
    a reconnect resumes after its Last-Event-ID. Ends on sign-out and when the server stops."""
    activation = await get_visible(session, viewer(me), activation_id)
    may_write = await _may_write(session, me, activation)
    await session.close()  # a stream lives for hours: each poll takes a short session
    resumed = whole_number(last_event_id)
    start = resumed if resumed is not None else whole_number(after) or 0
    runtime = request.app.state.runtime
    page = PAGE.format(activation_id=activation.id)
    query = timeline.TimelineQuery(
        kind=type[:40] or None, author=af[:200] or None, text=tekst[:200] or None
    )

    async def batch(seen: int) -> tuple[int, str] | None:
        async with runtime.read_sessionmaker() as s:
            new, _ = await timeline.timeline(
                s, activation.id, replace(query, after_seq=seen, limit=timeline.MAX_PAGE)
            )
        if not new:
            return None
        context = {"entries": new[::-1], "oob_rows": False, "may_write": may_write, "page": page}
        return new[-1].seq, _html(request, "_log_new.html", context)

    return live.feed(request, start, batch, "entry", live.signed_in(request))


# last: its path would take /live and /kontrol
@router.get(PAGE + "/{fmt}")
async def download(
    activation_id: str, fmt: Literal["csv", "pdf"], request: Request, me: Me, session: ReadSession
) -> Response:
    log = await timeline.for_export(session, activation_id, viewer(me))
    await session.close()  # all is read: free the connection while the file is made
    file = await files.log_file(log, fmt, request.app.state.settings.tz)
    disposition = f'attachment; filename="{file.filename}"'
    return Response(
        file.body, media_type=file.media_type, headers={"Content-Disposition": disposition}
    )
