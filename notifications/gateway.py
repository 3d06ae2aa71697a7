"""The provider ports: `send` an SMS and place a `call`; one result shape, one error type that says
whether to retry (for calls too)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class ProviderResult:
    provider_id: str  # e.g. Twilio's Message SID
    status: str  # the provider's status at acceptance ("queued", "accepted", "sent", …)


class SmsSendError(Exception):
    """`permanent` errors (invalid or unsubscribed number) are never retried. Placing a call
    fails with it too."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.code = code
        self.retry_after = retry_after


class SmsGateway(Protocol):
    name: str

    async def send(
        self, to: str, body: str, *, callback_url: str | None = None
    ) -> ProviderResult: ...

    async def aclose(self) -> None: ...


class VoiceGateway(Protocol):
    """Places a phone call. The provider fetches what to say from `url` when the call is answered
    (machine detection on), and posts the call's end to `status_callback`; `text` is what the
    call will say, for gateways that only show it."""

    async def call(
        self, to: str, *, url: str, status_callback: str, text: str
    ) -> ProviderResult: ...

    async def placed_since(self, to: str, since: datetime) -> ProviderResult | None:
        """A call to `to` the provider accepted at or after `since`, if any: asked before a call
        is placed again after a crash, so a call already accepted is not placed twice."""
        ...
