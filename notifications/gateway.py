"""The SMS gateway port: one `send`, one result shape, one error type that says whether to retry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ProviderResult:
    provider_id: str  # e.g. Twilio's Message SID
    status: str  # the provider's status at acceptance ("queued", "accepted", "sent", …)


class SmsSendError(Exception):
    """`permanent` errors (invalid or unsubscribed number) are never retried."""

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
