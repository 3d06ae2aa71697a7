"""Builds the long-lived parts (engine, playbook, SMS gateway, dispatcher, scheduler) in one place.

`create_app` uses it inside the FastAPI lifespan; `beredskab worker` uses it without the API.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

import httpx
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab import deadlines
from beredskab.activations.callbacks import sign_for_activation
from beredskab.activations.config import ActivationConfig
from beredskab.auth.lookup import TokenLookup
from beredskab.auth.usage import TokenUse
from beredskab.crisis_staff import log_writers
from beredskab.db import (
    checkpoint,
    checkpoint_in_background,
    make_engine,
    make_read_engine,
    make_sessionmaker,
)
from beredskab.drills import handlers as drill_handlers
from beredskab.errors import RACE_TRIES
from beredskab.eventlog.appender import LogAppender
from beredskab.flows import delivery, in_line, voice
from beredskab.lifecycle.endorsement import deadline_handlers
from beredskab.metadata import utcnow
from beredskab.outbox import OutboxMessage
from beredskab.playbook_file import load_playbook
from beredskab.settings import Settings
from beredskab.shifts.handlers import deadline_handlers as shift_deadline_handlers
from beredskab.unit_of_work import after_commit_of_messages
from notifications.dispatcher import Dispatcher
from notifications.factory import build_gateway
from notifications.gateway import SmsGateway

log = logging.getLogger(__name__)


class Runtime:
    def __init__(self, settings: Settings, *, gateway: SmsGateway | None = None) -> None:
        self.settings = settings
        loaded = load_playbook(settings.playbook)  # raises PlaybookError listing every problem
        self.activation_config = ActivationConfig(
            playbook=loaded.playbook,
            playbook_hash=loaded.content_hash,
            allow_loopback_http_callbacks=settings.dev_mode,
            timezone=settings.tz,
        )
        self.engine: AsyncEngine = make_engine(settings.database_url)
        self.sessionmaker: async_sessionmaker[AsyncSession] = make_sessionmaker(self.engine)
        # for requests that only read: on SQLite, connections beside the writer's (db.py)
        self.read_engine: AsyncEngine = make_read_engine(settings.database_url, self.engine)
        self.read_sessionmaker: async_sessionmaker[AsyncSession] = make_sessionmaker(
            self.read_engine
        )
        self.gateway: SmsGateway = gateway or build_gateway(settings)
        self.http = httpx.AsyncClient(follow_redirects=False)
        self.handlers = {
            **deadline_handlers(self.activation_config),
            **shift_deadline_handlers(self.activation_config),
            **drill_handlers.deadline_handlers(self.activation_config),
        }
        # who may write in a log is the crisis staff's rule, a layer above the log
        self.log_appender = LogAppender(self.sessionmaker, log_writers.refusals)
        # token lookups only read: on SQLite they need not wait for the writer's connection
        self.token_lookup = TokenLookup(self.read_sessionmaker)
        self.token_use = TokenUse(self.sessionmaker)  # writes last use, off the request path
        self.dispatcher = Dispatcher(
            self.sessionmaker,
            self.gateway,
            status_callback_url=f"{settings.public_base_url}/webhooks/twilio/status",
            rate_per_second=settings.sms_rate_per_second,
            http=self.http,
            on_undeliverable=self.page_undeliverable,
            on_refused=self.number_refused,
            lease=settings.outbox_lease,
            sign_callback=sign_for_activation,
            callback_guard=self._callback_refusal,
            voice=self.gateway if hasattr(self.gateway, "call") else None,  # type: ignore[arg-type]
            voice_url=self.voice_url,
            call_wanted=self.call_wanted,
            on_call_failed=self.call_failed,
        )
        # every commit that queued messages wakes the dispatcher: a page leaves in milliseconds
        # and, once this process runs the dispatcher (`start_background`), an SMS committed
        # here is born claimed and handed straight to it: no pass, no claim transaction
        after_commit_of_messages(
            self.sessionmaker,
            self.dispatcher.kick,
            birth_lease=self.dispatcher.birth_lease,
            take=self.dispatcher.take,
            birth_limit=self.dispatcher.batch,
        )
        # Admission control for inbound SMS: replies to one activation are serialised by its row
        # lock anyway, and with dozens of them interleaved on one event loop the lock holder
        # gets a sliver of the CPU (a convoy: a 10 ms reply took 300 ms in the call-out storm).
        self.inbound_slots = asyncio.Semaphore(settings.inbound_concurrency)
        self._stop = asyncio.Event()
        self._dispatch_task: asyncio.Task | None = None
        self._scheduler: AsyncIOScheduler | None = None
        self._drill_schedule: asyncio.Task | None = None
        self._timer: asyncio.TimerHandle | None = None  # a tick at the next deadline's instant
        self._timed: set[asyncio.Task] = set()  # its tasks, held until done
        self._in_line: asyncio.Task | None = None  # the drain of the replies kept in line
        self._in_line_again = False  # a reply came in line since the drain last looked

    @property
    def voice_url(self) -> str:
        """The base of the call webhooks' URLs (Twilio calls them at the public address)."""
        return f"{self.settings.public_base_url}/webhooks/twilio/voice"

    async def call_wanted(self, row: OutboxMessage) -> bool:
        async with self.read_sessionmaker() as session:
            return await voice.call_still_wanted(session, row)

    async def call_failed(self, outbox_id: int, reason: str) -> None:
        async with self.sessionmaker() as session:
            await voice.call_not_placed(
                session, self.activation_config, outbox_id, reason, utcnow()
            )

    async def _callback_refusal(self, url: str) -> str | None:
        return await self.activation_config.callback_refusal(url)

    async def page_undeliverable(self, page_id: int, activation_id: str, reason: str) -> None:
        async with self.sessionmaker() as session:
            await delivery.page_undeliverable(
                session,
                self.activation_config,
                page_id=page_id,
                activation_id=activation_id,
                reason=reason,
                now=utcnow(),
            )

    async def number_refused(self, phone: str, error_code: int) -> None:
        async with self.sessionmaker() as session:
            await delivery.number_refused(session, phone=phone, error_code=error_code, now=utcnow())

    async def tick(self, now: datetime | None = None) -> int:
        """One scheduler tick: look for replies in line, run due deadlines, then make sure the
        dispatcher looks."""
        self.kick_in_line()
        handled = await deadlines.run_due(self.sessionmaker, self.handlers, now=now)
        self.dispatcher.kick()
        return handled

    @property
    def keeps_replies_in_line(self) -> bool:
        """Whether the SMS webhook only stores a reply, in line, for `kick_in_line`'s drain to do
        (PostgreSQL: the replies to one activation would otherwise queue on its row lock, each
        webhook waiting; #18, P8). SQLite has one writer: there the webhook does the reply."""
        return self.engine.dialect.name == "postgresql"

    def sms_turn(self) -> contextlib.AbstractAsyncContextManager[object]:
        """A turn to work on an inbound SMS: one of INBOUND_CONCURRENCY slots; none is needed
        to keep one in line (two statements)."""
        return contextlib.nullcontext() if self.keeps_replies_in_line else self.inbound_slots

    def kick_in_line(self) -> None:
        """Process the replies kept in line (`flows.in_line`), in this process, in the order they
        came: one drain at a time, which looks again before it ends if kicked meanwhile. The
        webhook kicks after storing one; every tick kicks too, so a reply kept by a process that
        died is still processed (by a worker, or the next replica that keeps one)."""
        self._in_line_again = True
        if self._in_line is None or self._in_line.done():
            self._in_line = asyncio.get_running_loop().create_task(self._drain_in_line())

    async def _drain_in_line(self) -> None:
        """Until the line is empty and nobody kicked since the last look (or the stop)."""
        cfg = self.activation_config
        races = 0
        while not self._stop.is_set():
            self._in_line_again = False
            async with self.sessionmaker() as session:
                try:
                    sid = await in_line.process_next_in_line(session, cfg, now=utcnow())
                except in_line.InLineRaced as raced:  # nothing written; still first in line
                    await session.rollback()
                    races += 1
                    if races < RACE_TRIES:
                        continue
                    log.error("inbound SMS %s in line met %s races", raced.message_sid, races)
                    await in_line.in_line_failed(session, cfg, raced.message_sid, "race", utcnow())
                    races = 0
                    continue
                except in_line.InLineFailed as failed:  # one reply's fault stops no other
                    log.exception("an inbound SMS kept in line could not be processed")
                    await session.rollback()
                    await in_line.in_line_failed(
                        session, cfg, failed.message_sid, failed.error, utcnow()
                    )
                    continue
                except Exception:  # noqa: BLE001 - not even taken: the next tick tries again
                    log.exception("could not take an inbound SMS kept in line")
                    return
            races = 0
            if sid is None and not self._in_line_again:
                return

    async def in_line_settled(self) -> None:
        """Wait until this process's drain of replies in line has ended (tests, shutdown)."""
        while self._in_line is not None and not self._in_line.done():
            await asyncio.shield(self._in_line)

    async def _safe_tick(self) -> None:
        try:
            await self.tick()
            await self._arm(await deadlines.next_due(self.sessionmaker))
        except Exception:  # noqa: BLE001 - the next tick tries again; rows are durable
            log.exception("scheduler tick failed")

    async def _safe_checkpoint(self) -> None:
        try:
            await checkpoint(self.read_engine)
        except Exception:  # noqa: BLE001 - the next one tries again; the WAL only grows meanwhile
            log.exception("WAL checkpoint failed")

    async def keep_drill_schedule(self) -> None:
        """The playbook's scheduled drills as deadline rows (once at start: the rows carry on)."""
        try:
            async with self.sessionmaker() as session:
                await drill_handlers.keep_schedule(session, self.activation_config, utcnow())
        except Exception:  # noqa: BLE001 - the next start tries again; nothing else depends on it
            log.exception("could not schedule the playbook's drills")

    async def _arm(self, due: datetime | None) -> None:
        """A deadline falling due before the next tick gets a tick of its own at its instant:
        a page's call is placed within milliseconds of its due time, not up to a tick late."""
        if due is None or self._stop.is_set():
            return
        if due.tzinfo is None:  # SQLite hands back naive UTC from an aggregate
            due = due.replace(tzinfo=UTC)
        delay = (due - utcnow()).total_seconds()
        if delay >= self.settings.scheduler_tick_seconds:
            return  # the regular tick comes first
        if self._timer is not None:
            self._timer.cancel()
        # never sooner than 10 ms: a row another worker holds must not make this a busy loop
        self._timer = asyncio.get_running_loop().call_later(max(0.01, delay), self._timed_tick)

    def _timed_tick(self) -> None:
        task = asyncio.get_running_loop().create_task(self._safe_tick())
        self._timed.add(task)  # held until done: the loop keeps only a weak reference
        task.add_done_callback(self._timed.discard)

    def start_background(self) -> None:
        """Start the dispatcher loop and the APScheduler tick (needs a running loop)."""
        interval = self.settings.scheduler_tick_seconds
        self._drill_schedule = asyncio.create_task(self.keep_drill_schedule())
        self._dispatch_task = asyncio.create_task(self.dispatcher.run(self._stop, interval))
        self.dispatcher.hands_over = True
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        jobs = {"tick": self._safe_tick}
        if checkpoint_in_background(self.engine):  # SQLite: no request waits for a checkpoint
            jobs["checkpoint"] = self._safe_checkpoint
        for job_id, job in jobs.items():
            self._scheduler.add_job(
                job,
                "interval",
                seconds=interval,
                max_instances=1,
                coalesce=True,
                id=job_id,
                # the tick at once; the checkpoint after one interval (APScheduler's own start)
                **({"next_run_time": utcnow()} if job_id == "tick" else {}),
            )
        self._scheduler.start()

    async def aclose(self) -> None:
        self.dispatcher.hands_over = False  # from now on, what is committed waits for a pass
        self._stop.set()
        if self._timer is not None:
            self._timer.cancel()
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
        if self._dispatch_task is not None:
            self.dispatcher.kick()
            try:
                await asyncio.wait_for(self._dispatch_task, timeout=10)
            except TimeoutError:
                self._dispatch_task.cancel()
        if self._in_line is not None:
            try:
                await asyncio.wait_for(self._in_line, timeout=10)
            except TimeoutError:
                self._in_line.cancel()  # what it had not committed stays in line: nothing lost
        await self.token_use.flush()
        await self.http.aclose()
        await self.gateway.aclose()
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()


async def run_worker(settings: Settings) -> None:
    """`beredskab worker`: scheduler and dispatcher without the API, until SIGTERM/SIGINT."""
    import signal

    runtime = Runtime(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runtime.start_background()
    log.info("worker running (gateway %s)", runtime.gateway.name)
    try:
        await stop.wait()
    finally:
        await runtime.aclose()
