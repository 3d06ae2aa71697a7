"""The log keeper's timeline: write, read, verify, export, follow live, archive."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import Response, StreamingResponse

from api.deps import RuntimeDep, SessionDep, attachment, require_roles
from api.openapi import problems
from beredskab.activations import repository as activations
from beredskab.auth.models import TokenRole as R
from beredskab.auth.service import Principal
from beredskab.eventlog import files, timeline
from beredskab.eventlog.schemas import LogEntryCreate, LogEntryRead, LogPage, VerifyOut
from beredskab.eventlog.service import verify_visible_log
from beredskab.instants import Instant
from beredskab.metadata import MAX_INTEGER, utcnow

router = APIRouter(prefix="/activations/{activation_id}", tags=["log"])

# the token is looked up outside a session of the request: the group writer has its own
Writer = Annotated[Principal, Depends(require_roles(R.crisis_staff, shared_lookup=True))]
Reader = Annotated[
    Principal,
    Depends(require_roles(R.authority, R.steering, R.crisis_staff, R.finance, R.admin)),
]
Archiver = Annotated[Principal, Depends(require_roles(R.crisis_staff, R.steering))]
STREAM_POLL_S = 0.5
LOG_EVENT = {
    "type": "object",
    "properties": {
        "event": {"const": "entry"},
        "id": {"type": "string", "description": "the entry's seq: send it as Last-Event-ID"},
        "data": {
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": {"$ref": "#/components/schemas/LogEntryRead"},
        },
        "retry": {"type": "integer"},
    },
}


@router.post(
    "/log",
    status_code=201,
    summary="Write a log entry (the holders of the activation's roles and the crisis leader's "
    "delegates); no edits, ever",
    description="A crisis_staff token bound to a person who holds one of the activation's roles "
    "now (after stand-down: held one when it ended), or whom its crisis leader has named a "
    "delegate (`POST /activations/{id}/delegates`). Anyone else, and a token bound to no "
    "person, gets 403.",
    responses=problems(403, 404),
)
async def write_entry(
    activation_id: str, body: LogEntryCreate, principal: Writer, runtime: RuntimeDep
) -> LogEntryRead:
    return await runtime.log_appender.append(
        activation_id,
        body,
        author=principal.display_name,
        person_id=principal.person_id,
        now=utcnow(),
    )


@router.get(
    "/log",
    summary="The timeline: filter, order, cursor pages; ?format=csv|pdf|json exports it whole",
    description="What `format` answers: `page` (the default) one `LogPage` of the filtered "
    "timeline; `json` the whole log as an array of entries (the filters and the cursor do not "
    "apply); `csv` and `pdf` the whole log as a file to download.",
    response_model=None,
    responses={
        200: {
            "description": "A `LogPage` (format=page), an array of entries (json), or a file",
            "model": LogPage | list[LogEntryRead],
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            },
        },
        **problems(404),
    },
)
async def read_timeline(
    activation_id: str,
    principal: Reader,
    session: SessionDep,
    request: Request,
    kind: str | None = None,
    author: str | None = None,
    occurred_from: Annotated[Instant | None, Query(alias="from")] = None,
    occurred_to: Annotated[Instant | None, Query(alias="to")] = None,
    q: Annotated[str | None, Query(max_length=200, description="text contains")] = None,
    order: Literal["seq", "occurred_at"] = "seq",
    cursor: str | None = None,
    after: Annotated[
        int, Query(ge=0, le=MAX_INTEGER, description="only entries after this seq")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=timeline.MAX_PAGE)] = 100,
    format: Literal["page", "json", "csv", "pdf"] = "page",  # noqa: A002 - the documented name
) -> LogPage | Response:
    if format != "page":
        log = await timeline.for_export(session, activation_id, principal)
        await session.close()  # all is read: free the connection while the file is made
        file = await files.log_file(log, format, request.app.state.settings.tz)
        if format == "json":
            return Response(file.body, media_type=file.media_type)
        return attachment(file.body, file.media_type, file.filename)
    entries, next_cursor = await timeline.visible_timeline(
        session,
        activation_id,
        principal,
        timeline.TimelineQuery(
            kind=kind,
            author=author,
            occurred_from=occurred_from,
            occurred_to=occurred_to,
            text=q,
            order=order,
            cursor=cursor,
            after_seq=after,
            limit=limit,
        ),
    )
    # serialised by pydantic here: with response_model=None (the route answers files too),
    # FastAPI would walk the page in jsonable_encoder, ~5 ms for 100 entries
    page = LogPage(entries=entries, next_cursor=next_cursor)
    return Response(page.model_dump_json(), media_type="application/json")


@router.get(
    "/log/verify",
    summary="Recompute the hash chain: {ok, entries, first_bad_seq}",
    responses=problems(404),
)
async def verify(activation_id: str, principal: Reader, session: SessionDep) -> VerifyOut:
    result = await verify_visible_log(session, activation_id, principal)
    return VerifyOut(ok=result.ok, entries=result.entries, first_bad_seq=result.first_bad_seq)


@router.get(
    "/log/stream",
    summary="Live feed (Server-Sent Events); resumes after Last-Event-ID",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "Server-Sent Events: each entry as an `entry` event whose `id` is its "
            "seq and whose data is a LogEntryRead; comments keep the connection alive",
            # OpenAPI 3.1: the schema of a text/event-stream describes one event
            "content": {"text/event-stream": {"schema": LOG_EVENT}},
        },
        **problems(404),
    },
)
async def stream(
    activation_id: str,
    principal: Reader,
    session: SessionDep,
    request: Request,
    runtime: RuntimeDep,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    activation_id = (await activations.get_visible(session, principal, activation_id)).id
    # free this request's connection now: a stream lives for hours and would keep it; each
    # poll below uses its own short session, a reader's
    await session.close()
    try:
        after = int(last_event_id) if last_event_id else 0
    except ValueError:
        after = 0
    if not 0 <= after <= MAX_INTEGER:  # a header from elsewhere: start from the beginning
        after = 0

    async def events():  # noqa: ANN202
        nonlocal after
        yield "retry: 2000\n\n"
        while not await request.is_disconnected():
            async with runtime.read_sessionmaker() as s:
                page, _ = await timeline.timeline(
                    s,
                    activation_id,
                    timeline.TimelineQuery(limit=timeline.MAX_PAGE, after_seq=after),
                )
            for entry in page:
                after = entry.seq
                data = json.dumps(entry.model_dump(mode="json"), ensure_ascii=False)
                yield f"id: {entry.seq}\nevent: entry\ndata: {data}\n\n"
            if not page:
                yield ": keep-alive\n\n"
                await asyncio.sleep(STREAM_POLL_S)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.post(
    "/archive",
    summary="Archive (the crisis leader or steering): the log becomes read-only",
    responses=problems(404, 409),
)
async def archive(activation_id: str, principal: Archiver, session: SessionDep) -> dict:
    archived = await timeline.archive(session, activation_id, principal, now=utcnow())
    return {"id": archived.id, "ref": archived.ref, "archived_at": archived.archived_at}
