"""The outbox dispatcher: sends pending SMS, places calls and posts status callbacks, rate-limited,
retried, leased.

Kicked right after a commit that queued something, and ticked by the scheduler as a safety net.
A row is marked `sending` with a lease before the provider is called and `sent` right after, so a
crash between the two resends at most the rows that were in flight at that instant.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.metadata import utcnow
from beredskab.outbox import Channel, ClaimedSms, OutboxMessage, OutboxStatus, claim, settle
from beredskab.unit_of_work import Later
from notifications.gateway import SmsGateway, SmsSendError, VoiceGateway
from notifications.ratelimit import TokenBucket
from notifications.segments import fit_segments

log = logging.getLogger(__name__)

# (page_id, activation_id, reason) -> moves the call-out on; runs its own transaction
UndeliverableHook = Callable[[int, str, str], Awaitable[None]]
# (recipient, provider error code) -> judge whether the number itself is unusable (given-up sends)
RefusedHook = Callable[[str, int], Awaitable[None]]
# (session, activation_id, body) -> the headers that sign a status callback for its authority
CallbackSigner = Callable[[AsyncSession, str | None, bytes], Awaitable[dict[str, str]]]
# url -> why a callback may not be posted there (an address that is not public), or None
CallbackGuard = Callable[[str], Awaitable[str | None]]
# (outbox row of a call) -> whether it is still wanted (its page still open); read just before
CallWanted = Callable[[OutboxMessage], Awaitable[bool]]
# (outbox id of a call, reason) -> a call that cannot be placed for good; its own transaction
CallFailedHook = Callable[[int, str], Awaitable[None]]

# an SMS being sent: claimed by a pass (an ORM row) or at birth by a staged row's commit
Sms = OutboxMessage | ClaimedSms

MAX_SMS_ATTEMPTS = 8
MAX_CALLBACK_ATTEMPTS = 10
MAX_CALL_ATTEMPTS = 3  # a call that late is no use: the page's own timeout is near
CALLBACK_TIMEOUT_S = 5.0


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(300, 2 ** max(0, attempts - 1)))


class Dispatcher:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        gateway: SmsGateway,
        *,
        status_callback_url: str | None,
        rate_per_second: float,
        http: httpx.AsyncClient,
        on_undeliverable: UndeliverableHook | None = None,
        on_refused: RefusedHook | None = None,
        sign_callback: CallbackSigner | None = None,
        callback_guard: CallbackGuard | None = None,
        voice: VoiceGateway | None = None,
        voice_url: str | None = None,
        call_wanted: CallWanted | None = None,
        on_call_failed: CallFailedHook | None = None,
        lease: timedelta = timedelta(seconds=30),
        batch: int = 20,
        concurrency: int = 4,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.gateway = gateway
        self.status_callback_url = status_callback_url
        self.bucket = TokenBucket(rate_per_second)
        self.http = http
        self.on_undeliverable = on_undeliverable
        self.on_refused = on_refused
        self.sign_callback = sign_callback
        self.callback_guard = callback_guard
        # calls: the gateway that places them and the base of their webhooks' URLs
        self.voice = voice
        self.voice_url = (voice_url or "").rstrip("/")
        self.call_wanted = call_wanted
        self.on_call_failed = on_call_failed
        self.lease = lease
        self.batch = batch
        self.concurrency = concurrency
        self._kick = asyncio.Event()
        # set by the runtime when this process runs the dispatcher loop: an SMS committed here
        # is born claimed by this process and sent at once (`unit_of_work`), no pass needed
        self.hands_over = False
        self._taken: set[asyncio.Task] = set()
        self._taken_slots = asyncio.Semaphore(concurrency)

    def kick(self) -> None:
        self._kick.set()

    def birth_lease(self) -> timedelta | None:
        """The lease an SMS committed in this process is born with, or None (born pending)."""
        return self.lease if self.hands_over else None

    def take(self, rows: list[Sms], later: list[Later] | None = None) -> None:
        """Send rows committed already claimed by this process (called right after the commit).

        Each page's send is a task of its own from here: they start at the loop's next turn
        (`unit_of_work.transaction` yields one after such a commit), before the request that
        committed them builds its response. The other SMS (an authority's notice) follow the
        pages, so that their sends never take a page's turn on the CPU; so does the work the
        transaction left for later (`unit_of_work.later`), each in a session of its own."""
        since = time.monotonic()
        loop = asyncio.get_running_loop()
        pages = [loop.create_task(self._send_one(row, since)) for row in rows if row.page_id]
        others = [row for row in rows if not row.page_id]
        task = loop.create_task(self._send_taken(pages, others, since, later or []))
        self._taken.add(task)
        task.add_done_callback(self._taken.discard)

    async def _send_one(self, row: Sms, since: float) -> tuple[Sms, dict[str, object]] | None:
        async with self._taken_slots:
            assert row.lease_until is not None  # noqa: S101 - born claimed
            sent = await self._deliver(row, row.lease_until - self.lease, since)
            return None if sent is None else (row, sent)

    async def _send_taken(
        self, pages: list[asyncio.Task], others: list[Sms], since: float, later: list[Later]
    ) -> None:
        """Wait for the pages' sends, start the work left for later, send the rest, then mark
        the sent ones in one transaction (a failed send is written at once, as in a pass)."""
        try:
            done = list(await asyncio.gather(*pages, return_exceptions=True))
            if later:
                task = asyncio.get_running_loop().create_task(self._run_later(later))
                self._taken.add(task)
                task.add_done_callback(self._taken.discard)
            failed = next((d for d in done if isinstance(d, BaseException)), None)
            if failed is not None:
                raise failed
            done += await asyncio.gather(*(self._send_one(row, since) for row in others))
            await self._mark_sent([pair for pair in done if pair is not None])
        except Exception:  # noqa: BLE001 - the rows stay leased; a pass claims them again
            log.exception("sending rows claimed at commit failed; their lease will run out")

    async def _run_later(self, works: list[Later]) -> None:
        """Work a transaction left for after its pages (`unit_of_work.later`); one that fails
        is logged: its due row stays for a worker."""
        for work in works:
            try:
                async with self.sessionmaker() as session:
                    await work(session)
            except Exception:  # noqa: BLE001 - the work's due row is still pending
                log.exception("work left for after the pages failed; a worker does it later")

    async def _mark_sent(self, sent: list[tuple[Sms, dict[str, object]]]) -> None:
        """`_update` for many sent rows in one transaction and statement."""
        if sent:
            async with self.sessionmaker() as session:
                await settle(session, [(row.id, row.attempts, values) for row, values in sent])
                await session.commit()

    async def run(self, stop: asyncio.Event, idle_seconds: float) -> None:
        """Drain whenever kicked (or every `idle_seconds`) until `stop` is set."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kick.wait(), timeout=idle_seconds)
            self._kick.clear()
            try:
                await self.drain()
            except Exception:  # noqa: BLE001 - keep dispatching; the rows stay in the outbox
                log.exception("dispatcher pass failed; rows stay queued")
                await asyncio.sleep(min(idle_seconds, 1.0))
        while self._taken:  # sends under way finish and are marked, and the work after them
            await asyncio.gather(*self._taken, return_exceptions=True)

    async def drain(self, now: datetime | None = None) -> int:
        """Send everything due; returns the number of rows handled."""
        sms, callbacks, calls = await asyncio.gather(
            self._drain_channel(Channel.sms, self._send_sms, now),
            self._drain_channel(Channel.callback, self._post_callback, now),
            self._drain_channel(Channel.voice, self._place_call, now),
        )
        return sms + callbacks + calls

    async def _drain_channel(
        self,
        channel: Channel,
        send: Callable[[OutboxMessage, datetime, float], Awaitable[None]],
        now: datetime | None,
    ) -> int:
        handled = 0
        limit = asyncio.Semaphore(self.concurrency)

        async def one(row: OutboxMessage, at: datetime, since: float) -> None:
            async with limit:
                await send(row, at, since)

        while True:
            at = now or utcnow()
            async with self.sessionmaker() as session:
                rows = await claim(
                    session, channel=channel, now=at, lease=self.lease, limit=self.batch
                )
                await session.commit()
            if not rows:
                return handled
            since = time.monotonic()
            await asyncio.gather(*(one(row, at, since) for row in rows))
            handled += len(rows)

    async def _update(self, row: Sms, **values: object) -> bool:
        """Write a send's result, fenced on our claim: if another worker has claimed the row
        since (its lease ran out), the row is theirs and nothing is written (False)."""
        async with self.sessionmaker() as session:
            written = await settle(session, [(row.id, row.attempts, values)])
            await session.commit()
        return written == 1

    async def _still_ours(self, row: Sms, claimed_at: datetime, since: float) -> bool:
        """Just before a row's send: while it waited its turn its lease may have run low, and a
        row whose lease ran out can be claimed by another worker. Lease it again for this send
        (only when less than half of the lease is left: the first wave costs no statement);
        False if another worker has claimed it meanwhile."""
        waited = time.monotonic() - since
        if waited < self.lease.total_seconds() / 2:
            return True
        return await self._update(
            row, lease_until=claimed_at + timedelta(seconds=waited) + self.lease
        )

    async def _send_sms(self, row: Sms, now: datetime, since: float) -> None:
        sent = await self._deliver(row, now, since)
        if sent is not None:
            await self._update(row, **sent)

    async def _deliver(self, row: Sms, now: datetime, since: float) -> dict[str, object] | None:
        """Send a claimed SMS; the values that mark it sent, to be written by the caller. None
        when it is not sent: another worker's now, or failed (written here)."""
        body = fit_segments(row.body, 2)
        await self.bucket.acquire()
        if not await self._still_ours(row, now, since):
            return None  # another worker claimed it while it waited: theirs to send
        try:
            result = await self.gateway.send(
                row.recipient, body, callback_url=self.status_callback_url
            )
        except SmsSendError as exc:
            await self._sms_failed(row, str(exc), exc.code, exc.permanent, exc.retry_after, now)
            return None
        except Exception as exc:  # noqa: BLE001 - an unknown fault is treated as transient
            await self._sms_failed(row, repr(exc), None, False, None, now)
            return None
        return {
            "status": OutboxStatus.sent,
            "body": body,
            "provider_id": result.provider_id,
            "provider_status": result.status,
            "sent_at": utcnow(),
            "lease_until": None,
            "last_error": None,
        }

    async def _sms_failed(
        self,
        row: Sms,
        error: str,
        code: int | None,
        permanent: bool,
        retry_after: float | None,
        now: datetime,
    ) -> None:
        give_up = permanent or row.attempts >= MAX_SMS_ATTEMPTS
        reason = f"{'code ' + str(code) + ': ' if code else ''}{error}"[:1000]
        if give_up:
            log.warning("SMS %s to %s failed for good: %s", row.id, row.recipient, reason)
            await self._update(row, status=OutboxStatus.failed, last_error=reason, lease_until=None)
            if code is not None and self.on_refused:
                await self.on_refused(row.recipient, code)
            if row.page_id is not None and row.activation_id and self.on_undeliverable:
                await self.on_undeliverable(row.page_id, row.activation_id, reason)
            return
        delay = timedelta(seconds=retry_after) if retry_after else backoff(row.attempts)
        log.info(
            "SMS %s to %s: transient failure (%s); retry in %s",
            row.id,
            row.recipient,
            reason,
            delay,
        )
        await self._update(
            row,
            status=OutboxStatus.pending,
            last_error=reason,
            next_attempt_at=now + delay,
            lease_until=None,
        )

    def call_urls(self, row: OutboxMessage) -> tuple[str, str]:
        """(TwiML URL, status callback URL) of a call: its id and answer code are in the path."""
        base = f"{self.voice_url}/{row.id}/{row.ref or ''}"
        return base, f"{base}/status"

    async def _place_call(self, row: OutboxMessage, now: datetime, since: float) -> None:
        if self.voice is None or not self.voice_url:
            await self._call_failed(row, "no voice gateway configured", True, now)
            return
        await self.bucket.acquire()  # calls share the provider's rate with SMS
        if not await self._still_ours(row, now, since):
            return
        if self.call_wanted is not None and not await self.call_wanted(row):
            # answered (or closed) meanwhile: a call nobody needs is never placed
            await self._update(row, status=OutboxStatus.cancelled, lease_until=None)
            return
        url, status_callback = self.call_urls(row)
        try:
            result = None
            if row.attempts > 1:
                # claimed before: a crash may have come after the provider accepted the call
                result = await self.voice.placed_since(row.recipient, row.created_at)
            if result is None:
                result = await self.voice.call(
                    row.recipient, url=url, status_callback=status_callback, text=row.body
                )
        except SmsSendError as exc:
            await self._call_failed(row, str(exc), exc.permanent, now, exc.code)
            return
        except Exception as exc:  # noqa: BLE001 - an unknown fault is treated as transient
            await self._call_failed(row, repr(exc), False, now)
            return
        await self._update(
            row,
            status=OutboxStatus.sent,
            provider_id=result.provider_id,
            provider_status=result.status,
            sent_at=utcnow(),
            lease_until=None,
            last_error=None,
        )

    async def _call_failed(
        self,
        row: OutboxMessage,
        error: str,
        permanent: bool,
        now: datetime,
        code: int | None = None,
    ) -> None:
        reason = f"{'code ' + str(code) + ': ' if code else ''}{error}"[:1000]
        if permanent or row.attempts >= MAX_CALL_ATTEMPTS:
            log.warning("call %s to %s failed for good: %s", row.id, row.recipient, reason)
            ours = await self._update(
                row, status=OutboxStatus.failed, last_error=reason, lease_until=None
            )
            if ours and self.on_call_failed is not None and row.id is not None:
                await self.on_call_failed(row.id, reason)
            return
        await self._update(
            row,
            status=OutboxStatus.pending,
            last_error=reason,
            next_attempt_at=now + backoff(row.attempts),
            lease_until=None,
        )

    async def _post_callback(self, row: OutboxMessage, now: datetime, since: float) -> None:
        if not await self._still_ours(row, now, since):
            return
        body = row.body.encode()
        # checked again at send time: the name may resolve elsewhere now than when it was given
        refused = await self.callback_guard(row.recipient) if self.callback_guard else None
        if refused is not None:
            log.warning("callback %s not posted: %s", row.id, refused)
            await self._update(
                row,
                status=OutboxStatus.failed,
                last_error=f"refused: {refused}"[:1000],
                lease_until=None,
            )
            return
        signed: dict[str, str] = {}
        if self.sign_callback is not None:
            async with self.sessionmaker() as session:
                signed = await self.sign_callback(session, row.activation_id, body)
        headers = {
            "Content-Type": "application/json",
            **signed,
            "X-DDH-Delivery": str(row.id),
        }
        try:
            response = await self.http.post(
                row.recipient, content=body, headers=headers, timeout=CALLBACK_TIMEOUT_S
            )
            ok = 200 <= response.status_code < 300
            error = None if ok else f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            ok, error = False, f"{type(exc).__name__}: {exc}"[:1000]
        if ok:
            await self._update(
                row,
                status=OutboxStatus.sent,
                sent_at=utcnow(),
                provider_status=str(response.status_code),
                lease_until=None,
                last_error=None,
            )
            return
        give_up = row.attempts >= MAX_CALLBACK_ATTEMPTS
        await self._update(
            row,
            status=OutboxStatus.failed if give_up else OutboxStatus.pending,
            last_error=error,
            next_attempt_at=now + backoff(row.attempts),
            lease_until=None,
        )
