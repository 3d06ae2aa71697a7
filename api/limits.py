"""Bounded requests: a body over `MAX_REQUEST_BYTES` is refused with 413 before it is parsed
(declared by Content-Length or counted as it streams, chunked or not), and a JSON body sent
without any credentials gets its 401 before a byte of it is read.

A pure ASGI middleware, so nothing upstream of it (FastAPI's body parsing, the NUL check) ever
holds more than the limit in memory.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import HTTPException

from api.errors import problem

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class BodyTooLarge(HTTPException):
    """Raised from the body stream once it passes the limit; FastAPI re-raises HTTPExceptions
    from body parsing as they are, so the error table answers it as problem+json."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than the limit of {limit} bytes")


def _is_json(content_type: bytes) -> bool:
    kind = content_type.split(b";")[0].strip().lower()
    return kind == b"application/json" or (
        kind.startswith(b"application/") and kind.endswith(b"+json")
    )


class BodyLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _WITH_BODY:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge as exc:  # read outside FastAPI's parser (a middleware, a stream)
            if started:
                raise
            await problem(413, str(exc.detail), instance=scope["path"])(scope, receive, send)

    def _refusal(self, scope: Scope, headers: dict[bytes, bytes]):  # noqa: ANN202
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                return problem(400, "Content-Length: is not a number", instance=scope["path"])
            if size > self.max_bytes:
                return problem(
                    413,
                    f"the request body is larger than the limit of {self.max_bytes} bytes",
                    instance=scope["path"],
                )
        if _is_json(headers.get(b"content-type", b"")) and b"authorization" not in headers:
            return problem(
                401,
                "missing bearer token",
                instance=scope["path"],
                headers={"WWW-Authenticate": "Bearer"},
            )
        return None
