"""Token lookups shared by concurrent requests: one query for all tokens that arrive together.

A busy endpoint would otherwise spend a transaction per request on finding its caller (on SQLite,
whose one connection every request queues for, that was most of a log append's time). There is
no cache: a lookup joins only a query that has not been sent yet, so every request reads the
tokens as they are after it arrived, and a token revoked a moment earlier fails at once.
"""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.auth.service import Principal, hash_token, principals_for

MAX_BATCH = 500  # tokens in one IN (...)


class TokenLookup:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker
        self._waiting: dict[str, list[asyncio.Future[Principal | None]]] = {}
        self._runner: asyncio.Task | None = None

    async def authenticate(self, plaintext: str) -> Principal | None:
        done: asyncio.Future[Principal | None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(hash_token(plaintext), []).append(done)
        if self._runner is None:  # no await between the check and the start
            self._runner = asyncio.create_task(self._run())
        return await asyncio.shield(done)  # a caller that goes away does not fail the others

    async def _run(self) -> None:
        try:
            while self._waiting:
                await self._answer_round()
        finally:
            self._runner = None  # no await since no one was seen waiting: nothing lost

    async def _answer_round(self) -> None:
        waiting: dict[str, list[asyncio.Future[Principal | None]]] = {}
        try:
            async with self.sessionmaker() as session:
                await session.connection()
                # take the waiting lookups only now, once a connection is held: those that
                # came meanwhile join this query. Each one still
                # came before the query is sent, so it reads the tokens as they are after it
                # came, and lookups arriving from here on wait for the next query
                digests = list(self._waiting)[:MAX_BATCH]
                waiting = {digest: self._waiting.pop(digest) for digest in digests}
                found = await principals_for(session, digests)
                # answer now, not after the read transaction is ended and the connection returned
                for digest, futures in waiting.items():
                    for done in futures:
                        if not done.done():
                            done.set_result(found.get(digest))
        except Exception as exc:  # noqa: BLE001 - every caller of the query hears of it
            if not waiting:  # failed before taking them: a dead database fails them all now
                waiting, self._waiting = self._waiting, {}
            for futures in waiting.values():
                for done in futures:
                    if not done.done():
                        done.set_exception(exc)
