"""A gateway that records what it was asked to send and to call; errors can be programmed per
number."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime

from notifications.gateway import ProviderResult, SmsSendError


@dataclass(frozen=True)
class SentSms:
    to: str
    body: str
    callback_url: str | None
    provider_id: str


@dataclass(frozen=True)
class PlacedCall:
    to: str
    text: str
    url: str
    status_callback: str
    provider_id: str


@dataclass
class FakeGateway:
    name: str = "fake"
    prefix: str = "FAKE"
    sent: list[SentSms] = field(default_factory=list)
    fail_numbers: dict[str, SmsSendError] = field(default_factory=dict)
    fail_next: list[SmsSendError] = field(default_factory=list)
    calls: list[PlacedCall] = field(default_factory=list)
    _ids: itertools.count = field(
        default_factory=lambda: itertools.count(1), init=False, repr=False
    )

    async def send(self, to: str, body: str, *, callback_url: str | None = None) -> ProviderResult:
        # fail_next models transient faults of the provider, so it wins over per-number errors
        if self.fail_next:
            raise self.fail_next.pop(0)
        if to in self.fail_numbers:
            raise self.fail_numbers[to]
        provider_id = f"{self.prefix}{next(self._ids):06d}"
        self.sent.append(SentSms(to, body, callback_url, provider_id))
        return ProviderResult(provider_id, "queued")

    async def call(self, to: str, *, url: str, status_callback: str, text: str) -> ProviderResult:
        if to in self.fail_numbers:
            raise self.fail_numbers[to]
        provider_id = f"{self.prefix}CA{next(self._ids):06d}"
        self.calls.append(PlacedCall(to, text, url, status_callback, provider_id))
        return ProviderResult(provider_id, "queued")

    async def placed_since(self, to: str, since: datetime) -> ProviderResult | None:
        placed = [c for c in self.calls if c.to == to]
        return ProviderResult(placed[-1].provider_id, "queued") if placed else None

    async def aclose(self) -> None:
        return None
