"""The playbook in force and the deployment's choices, handed to every use case by the composition
root (`beredskab.runtime`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo

from beredskab.activations.callback_urls import Resolver, refusal, system_resolver
from beredskab.calendar import OpeningRules
from beredskab.playbook import Playbook


@dataclass(frozen=True)
class ActivationConfig:
    """What the activation use cases need from the outside, handed in by the composition root."""

    playbook: Playbook
    playbook_hash: str
    allow_loopback_http_callbacks: bool = False  # development: local callback receivers
    timezone: ZoneInfo = ZoneInfo("Europe/Copenhagen")
    resolve_host: Resolver = system_resolver  # DNS, for the callback URL check (tests fake it)

    async def callback_refusal(self, url: str) -> str | None:
        """Why a status callback may not go to `url` (SSRF guard), or None."""
        return await refusal(
            url, development=self.allow_loopback_http_callbacks, resolve=self.resolve_host
        )

    @cached_property
    def opening_rules(self) -> OpeningRules:
        return self.playbook.opening_rules(self.timezone)
