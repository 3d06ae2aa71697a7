"""SMS through the real twilio SDK (async client). `api_base_url` points it at a loopback mock.

No SDK retries (a retried POST can send an SMS twice; the outbox retries instead), a hard
timeout per call (the SDK ignores its own on the async path), and a short validity period so a
stale page never arrives hours late.
"""

from __future__ import annotations

import asyncio
import re

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from notifications.gateway import ProviderResult, SmsSendError

PERMANENT_CODES = {
    21211,
    21214,
    21217,
    21401,
    21407,
    21408,
    21421,
    21602,
    21604,
    21606,
    21610,
    21612,
    21614,
    30006,
}
_TWILIO_HOST = re.compile(r"^https://[a-z0-9.-]*twilio\.com")


class _RebasedHttpClient(AsyncTwilioHttpClient):
    """Sends every request for *.twilio.com to `base_url` instead."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")

    async def request(self, method, url, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
        if self.base_url:
            url = _TWILIO_HOST.sub(self.base_url, url)
        return await super().request(method, url, *args, **kwargs)


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
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.messaging_service_sid = messaging_service_sid
        self.from_number = from_number
        self.api_base_url = api_base_url
        self.timeout_s = timeout_s
        self.validity_period_s = validity_period_s
        self._http: _RebasedHttpClient | None = None
        self._client: Client | None = None

    def _ensure_client(self) -> Client:
        if self._client is None:  # the aiohttp session needs a running loop: made on first use
            self._http = _RebasedHttpClient(self.api_base_url)
            self._client = Client(self.account_sid, self.auth_token, http_client=self._http)
        return self._client

    async def send(self, to: str, body: str, *, callback_url: str | None = None) -> ProviderResult:
        client = self._ensure_client()
        sender = (
            {"messaging_service_sid": self.messaging_service_sid}
            if self.messaging_service_sid
            else {"from_": self.from_number}
        )
        extra = {"status_callback": callback_url} if callback_url else {}
        try:
            async with asyncio.timeout(self.timeout_s):
                message = await client.messages.create_async(
                    to=to, body=body, validity_period=self.validity_period_s, **sender, **extra
                )
        except TwilioRestException as exc:
            raise _classify(exc) from exc
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise SmsSendError(f"{type(exc).__name__}: {exc}", permanent=False) from exc
        return ProviderResult(message.sid or "", str(message.status or "queued"))

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None
            self._client = None


def _classify(exc: TwilioRestException) -> SmsSendError:
    code = exc.code if isinstance(exc.code, int) else None
    text = f"Twilio {exc.status}: {exc.msg}"
    if exc.status == 429 or code == 20429:
        return SmsSendError(text, permanent=False, code=code)
    if code in PERMANENT_CODES:
        return SmsSendError(text, permanent=True, code=code)
    if exc.status >= 500:
        return SmsSendError(text, permanent=False, code=code)
    return SmsSendError(text, permanent=True, code=code)
