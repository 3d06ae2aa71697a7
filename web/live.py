"""Server-Sent Events for live pages, which end when the client goes or the server stops.

A stream polls a cheap fingerprint and sends an event only when it moved. uvicorn waits for every
open response before it shuts down, and it tells a streaming response nothing (no disconnect
message), so an open board would hold a shutdown (and every test that stops its server) for
ever. `watch_uvicorn` wraps uvicorn's `Server.shutdown` to mark the served app as stopping first;
each stream checks the mark between polls and ends, and the shutdown goes on."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.datastructures import State

from beredskab.auth import signin
from beredskab.metadata import utcnow
from web.deps import COOKIE

POLL_S = 0.25
KEEP_ALIVE_S = 15.0
RECHECK_S = 10.0  # how often a stream asks whether its session may still see it
RETRY_MS = 2000
STOPPING = "live_streams_stopping"
_NOTHING = object()  # no mark seen yet


def stopping(request: Request) -> bool:
    return bool(getattr(request.app.state, STOPPING, False))


def event(name: str, data: str) -> str:
    """One SSE event; every line of `data` gets its own `data:` field."""
    lines = "".join(f"data: {line}\n" for line in data.splitlines() or [""])
    return f"event: {name}\n{lines}\n"


def signed_in(request: Request) -> Callable[[], Awaitable[bool]]:
    """A stream's `allowed`: the request's session is still live and its person active."""
    token = request.cookies.get(COOKIE, "")
    runtime = request.app.state.runtime

    async def allowed() -> bool:
        async with runtime.sessionmaker() as s:
            return await signin.identify(s, token, now=utcnow()) is not None

    return allowed


def stream(
    request: Request,
    mark: Callable[[], Awaitable[object]],
    render: Callable[[object], Awaitable[str]],
    name: str,
    allowed: Callable[[], Awaitable[bool]],
) -> StreamingResponse:
    """An event `name` with `await render(m)` each time `await mark()` gives a new value m
    (the first poll always sends)."""
    last: object = _NOTHING

    async def poll() -> str | None:
        nonlocal last
        now = await mark()
        if now == last:
            return None
        last = now
        return event(name, await render(now))

    return _response(_events(request, poll, allowed))


def feed(
    request: Request,
    after: int,
    batch: Callable[[int], Awaitable[tuple[int, str] | None]],
    name: str,
    allowed: Callable[[], Awaitable[bool]],
) -> StreamingResponse:
    """Events `name` of what came after a position: `await batch(after)` gives the newest
    position it covers and its rendered data, or None when nothing is new. Each event's id is
    that position, so a browser that reconnects sends it back as Last-Event-ID and resumes."""

    async def poll() -> str | None:
        nonlocal after
        got = await batch(after)
        if got is None:
            return None
        after, data = got
        return f"id: {after}\n" + event(name, data)

    return _response(_events(request, poll, allowed))


async def _events(
    request: Request,
    poll: Callable[[], Awaitable[str | None]],
    allowed: Callable[[], Awaitable[bool]],
) -> AsyncIterator[str]:
    """What `poll` gives, a keep-alive comment every 15 s of quiet. Every 10 s `await
    allowed()` must still say yes (a session signed out or a person deactivated ends the
    stream; the browser's reconnect then meets the sign-in). Ends when the server stops."""
    yield f"retry: {RETRY_MS}\n\n"
    quiet = since_check = 0.0
    while not stopping(request) and not await request.is_disconnected():
        if since_check >= RECHECK_S:
            since_check = 0.0
            if not await allowed():
                return
        sent = await poll()
        if sent is not None:
            quiet = 0.0
            yield sent
        elif quiet >= KEEP_ALIVE_S:
            quiet = 0.0
            yield ": keep-alive\n\n"
        await asyncio.sleep(POLL_S)
        quiet += POLL_S
        since_check += POLL_S


def _response(events: AsyncIterator[str]) -> StreamingResponse:
    return StreamingResponse(
        events,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _apps(config: object) -> Iterator[object]:
    """The app objects uvicorn serves (the app itself, or inside its middleware wrappers)."""
    for candidate in (getattr(config, "app", None), getattr(config, "loaded_app", None)):
        for _ in range(32):
            if candidate is None:
                break
            if isinstance(getattr(candidate, "state", None), State):
                yield candidate
            candidate = getattr(candidate, "app", None)


def watch_uvicorn() -> None:
    """Mark the served app as stopping when uvicorn begins to shut down (idempotent)."""
    try:
        from uvicorn.server import Server
    except ImportError:  # served by something else: it must end streams itself
        return
    original = Server.shutdown
    if getattr(original, "_marks_live_streams", False):
        return

    @functools.wraps(original)
    async def shutdown(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        for app in _apps(self.config):
            setattr(app.state, STOPPING, True)  # type: ignore[attr-defined]
        return await original(self, *args, **kwargs)

    shutdown._marks_live_streams = True  # type: ignore[attr-defined]
    Server.shutdown = shutdown  # type: ignore[method-assign]


watch_uvicorn()
