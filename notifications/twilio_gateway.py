"""SMS and calls through the real twilio SDK (async client). `api_base_url` points it at a
loopback mock.

No SDK retries (a retried POST can send an SMS twice; the outbox retries instead), a hard
timeout per call (the SDK ignores its own on the async path), and a short validity period so a
stale page never arrives hours late.
"""

from __future__ import annotations

import asyncio
import base64
import math
import re
from collections.abc import Coroutine
from contextvars import ContextVar
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import aiohttp
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from notifications.gateway import ProviderResult, SmsSendError

# Errors about the recipient or the account that no retry will cure.
PERMANENT_CODES = frozenset(
    {
        21211,  # invalid To
        21214,  # To cannot be reached
        21217,  # phone number does not appear to be valid
        21401,  # invalid phone number
        21407,  # not supported for this country
        21408,  # permission to send to this region not enabled
        21421,  # PhoneNumber is invalid
        21602,  # message body is required
        21604,  # To is required
        21606,  # From is not a valid, SMS-capable number
        21610,  # recipient unsubscribed (STOP)
        21612,  # unroutable
        21614,  # To is not SMS-capable
        30006,  # landline or unreachable carrier
    }
)
RATE_LIMITED = 20429
T = TypeVar("T")
_TWILIO_BASE = re.compile(r"^https://(?:[a-z0-9-]+\.)*twilio\.com(?=/|$)", re.IGNORECASE)

# Retry-After of the response to this task's latest request. The SDK drops headers when it
# raises, and a ContextVar set in an awaited coroutine is visible to its caller in the same task.
_retry_after: ContextVar[float | None] = ContextVar("twilio_retry_after", default=None)


class _RebasedHttpClient(AsyncTwilioHttpClient):
    """Sends every request for *.twilio.com to `base_url` instead (when set)."""

    def __init__(self, base_url: str) -> None:
        super().__init__()  # no max_retries: an SDK retry of a POST can send the SMS twice
        self.base_url = base_url.rstrip("/")

    async def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if self.base_url:
            url = _TWILIO_BASE.sub(self.base_url, url, count=1)
        auth = kwargs.pop("auth", None)
        if auth is not None:
            # the same Basic header, built here: aiohttp deprecates the SDK's BasicAuth/auth=
            headers = dict(kwargs.pop("headers", None) or {})
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            headers["Authorization"] = f"Basic {token}"
            kwargs["headers"] = headers
        response = await super().request(method, url, *args, **kwargs)
        headers = response.headers or {}
        _retry_after.set(parse_retry_after(headers.get("Retry-After")))
        return response


class TwilioGateway:
    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        messaging_service_sid: str = "",
        from_number: str = "",
        api_base_url: str = "",
        timeout_s: float = 10.0,
        validity_period_s: int = 600,
        voice_from: str = "",
        ring_seconds: int = 30,
    ) -> None:
        if not (messaging_service_sid or from_number):
            raise ValueError("TwilioGateway needs messaging_service_sid or from_number")
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.messaging_service_sid = messaging_service_sid
        self.from_number = from_number
        self.api_base_url = api_base_url
        self.timeout_s = timeout_s
        self.validity_period_s = validity_period_s
        self.voice_from = voice_from or from_number  # a call needs a number; a service cannot call
        self.ring_seconds = ring_seconds
        self._http: _RebasedHttpClient | None = None
        self._client: Client | None = None

    def _ensure_client(self) -> Client:
        if self._client is None:  # the aiohttp session needs a running loop: made on first use
            self._http = _RebasedHttpClient(self.api_base_url)
            self._client = Client(self.account_sid, self.auth_token, http_client=self._http)
        return self._client

    async def send(self, to: str, body: str, *, callback_url: str | None = None) -> ProviderResult:
        client = self._ensure_client()
        # A Messaging Service wins over a single number: it spreads load over several senders.
        sender = (
            {"messaging_service_sid": self.messaging_service_sid}
            if self.messaging_service_sid
            else {"from_": self.from_number}
        )
        extra = {"status_callback": callback_url} if callback_url else {}
        message = await self._ask(
            client.messages.create_async(
                to=to, body=body, validity_period=self.validity_period_s, **sender, **extra
            )
        )
        return ProviderResult(message.sid or "", str(message.status or "queued"))

    async def call(self, to: str, *, url: str, status_callback: str, text: str) -> ProviderResult:
        """Place a call: Twilio fetches its TwiML from `url` once answered, with `AnsweredBy`
        (answering-machine detection), and posts its end (busy, no-answer, …) to
        `status_callback`. `text` is what our TwiML will say; Twilio does not need it here."""
        if not self.voice_from:
            raise SmsSendError(
                "no caller number (TWILIO_VOICE_FROM or TWILIO_FROM)", permanent=True
            )
        client = self._ensure_client()
        call = await self._ask(
            client.calls.create_async(
                to=to,
                from_=self.voice_from,
                url=url,
                method="POST",
                status_callback=status_callback,
                status_callback_method="POST",
                status_callback_event=["completed"],
                machine_detection="Enable",
                timeout=self.ring_seconds,
            )
        )
        return ProviderResult(call.sid or "", str(call.status or "queued"))

    async def placed_since(self, to: str, since: datetime) -> ProviderResult | None:
        client = self._ensure_client()
        calls = await self._ask(client.calls.list_async(to=to, limit=20))
        for call in calls:
            if call.date_created is not None and call.date_created >= since:
                return ProviderResult(call.sid or "", str(call.status or "queued"))
        return None

    async def _ask(self, request: Coroutine[Any, Any, T]) -> T:
        """One request to Twilio within the timeout; its errors as `SmsSendError`s."""
        _retry_after.set(None)
        try:
            async with asyncio.timeout(self.timeout_s):
                return await request
        except (TwilioRestException, TwilioServiceException) as exc:
            raise classify(exc, retry_after=_retry_after.get()) from exc
        except TimeoutError as exc:
            raise SmsSendError(
                f"Twilio did not answer within {self.timeout_s:g} s", permanent=False
            ) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise SmsSendError(f"{type(exc).__name__}: {exc}", permanent=False) from exc

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.close()
        self._http = None
        self._client = None


def classify(
    exc: TwilioRestException | TwilioServiceException, *, retry_after: float | None = None
) -> SmsSendError:
    """Map a Twilio API error to retry (transient) or give up (permanent)."""
    status = int(exc.status or 0)
    # Without a JSON body the SDK puts the HTTP status in `code`; Twilio's own codes have 5 digits.
    code = exc.code if isinstance(exc.code, int) and exc.code >= 10000 else None
    detail = exc.msg if isinstance(exc, TwilioRestException) else (exc.detail or exc.title)
    text = f"Twilio {status}" + (f" error {code}" if code else "") + f": {detail}"
    if code in PERMANENT_CODES:
        return SmsSendError(text, permanent=True, code=code)
    if status == 429 or code == RATE_LIMITED:
        return SmsSendError(text, permanent=False, code=code, retry_after=retry_after)
    if status >= 500:
        return SmsSendError(text, permanent=False, code=code, retry_after=retry_after)
    return SmsSendError(text, permanent=True, code=code)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
