"""The `make run` gateway: prints every SMS and call readably and keeps it, sending nothing."""

from __future__ import annotations

import sys
from typing import TextIO

from notifications.fake_gateway import FakeGateway
from notifications.gateway import ProviderResult
from notifications.segments import encoding_of, segment_count

_RULE = "─" * 60


class ConsoleGateway(FakeGateway):
    """Records like the fake (including programmed failures) and prints what would have left."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(name="console", prefix="CONSOLE")
        # resolved per instance, so a replaced sys.stdout (pytest's capsys) is honoured
        self.stream = stream if stream is not None else sys.stdout

    async def send(self, to: str, body: str, *, callback_url: str | None = None) -> ProviderResult:
        result = await super().send(to, body, callback_url=callback_url)
        self.stream.write(
            f"\n{_RULE}\nSMS til {to}  [{result.provider_id}, {segment_count(body)} segment(er), "
            f"{encoding_of(body)}]\n{body}\n{_RULE}\n"
        )
        self.stream.flush()
        return result

    async def call(self, to: str, *, url: str, status_callback: str, text: str) -> ProviderResult:
        result = await super().call(to, url=url, status_callback=status_callback, text=text)
        code = url.rstrip("/").rsplit("/", 1)[-1]
        self.stream.write(
            f"\n{_RULE}\nOPKALD til {to}  [{result.provider_id}]\n{text}\n"
            f"(tast som modtageren: POST /dev/voice/press "
            f'{{"page_code": "{code}", "digit": "1"}})\n{_RULE}\n'
        )
        self.stream.flush()
        return result
