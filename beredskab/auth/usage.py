"""When each token was last used, written at most once a minute per token, off the request path.

A request only notes its caller in memory; a background task writes the noted uses in one
transaction of its own. So a burst of requests with one token costs one UPDATE, and no request
ever waits for it (on SQLite a write waits for the one writer connection).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import or_
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.auth.models import ApiToken
from beredskab.auth.service import Principal
from beredskab.metadata import utcnow
from beredskab.unit_of_work import transaction

log = logging.getLogger(__name__)

EVERY = timedelta(minutes=1)  # a token's last use is at most this stale


class TokenUse:
    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], every: timedelta = EVERY
    ) -> None:
        self.sessionmaker = sessionmaker
        self.every = every
        self._noted: dict[int, datetime] = {}  # token id -> last use this process wrote
        self._pending: dict[int, datetime] = {}  # token id -> use not yet written
        self._writer: asyncio.Task | None = None

    def note(self, principal: Principal, now: datetime | None = None) -> None:
        """`principal` was just authenticated: have its use written if it is a minute old.

        Never awaits: the request goes on at once. A person signed in without a token
        (`token_id` None) has nothing to note here: their session notes its own use."""
        if principal.token_id is None:
            return
        now = now or utcnow()
        # the row as the lookup read it: another process may have written it a moment ago
        if principal.last_used_at is not None and now - principal.last_used_at < self.every:
            return
        # this process's own write, which a concurrent lookup may not have seen yet
        written = self._noted.get(principal.token_id)
        if written is not None and now - written < self.every:
            return
        self._noted[principal.token_id] = now
        self._pending[principal.token_id] = now
        if self._writer is None:  # no await between the check and the start
            self._writer = asyncio.create_task(self._write())

    async def _write(self) -> None:
        try:
            while self._pending:
                uses, self._pending = self._pending, {}
                try:
                    await self._write_uses(uses)
                except Exception:  # noqa: BLE001 - bookkeeping: never fails a request
                    log.warning("could not record the last use of %d token(s)", len(uses))
            self._forget_old()
        finally:
            self._writer = None

    async def _write_uses(self, uses: dict[int, datetime]) -> None:
        async with self.sessionmaker() as session, transaction(session):
            for token_id, at in uses.items():
                await session.exec(
                    update(ApiToken)
                    .where(
                        ApiToken.id == token_id,  # type: ignore[arg-type]
                        # never back in time (another process may have written a later use)
                        or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < at),  # type: ignore[union-attr,operator]
                    )
                    .values(last_used_at=at)
                )

    def _forget_old(self) -> None:
        """Keep the memory of writes to the last minute's (the lookup's row says the rest)."""
        if not self._noted:
            return
        cutoff = max(self._noted.values()) - self.every
        self._noted = {token_id: at for token_id, at in self._noted.items() if at >= cutoff}

    async def flush(self) -> None:
        """Wait until the noted uses are written (shutdown; tests)."""
        while self._writer is not None:
            await asyncio.shield(self._writer)
