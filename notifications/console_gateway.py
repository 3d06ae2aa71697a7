"""The `make run` gateway: prints every SMS readably and keeps it, sending nothing."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TextIO

from notifications.fake_gateway import FakeGateway
from notifications.gateway import ProviderResult
from notifications.segments import encoding_of, segment_count


@dataclass
class ConsoleGateway(FakeGateway):
    name: str = "console"
    prefix: str = "CONSOLE"
    stream: TextIO = field(default_factory=lambda: sys.stdout)

    async def send(self, to: str, body: str, *, callback_url: str | None = None) -> ProviderResult:
        result = await super().send(to, body, callback_url=callback_url)
        rule = "─" * 60
        self.stream.write(
            f"\n{rule}\nSMS til {to}  [{result.provider_id}, {segment_count(body)} segment(er), "
            f"{encoding_of(body)}]\n{body}\n{rule}\n"
        )
        self.stream.flush()
        return result
