"""The SMS reply grammar (DESIGN.md). Pure: text in, a parsed reply out; never raises.

The first word decides the kind; case and accents are ignored, letters and digits glued together
are split ("OK4821"), extra words are tolerated. A run of 4–6 digits is the page code, a number of
1–2 digits the count of agents (volunteer replies).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

MAX_LOOK = 200  # a 2,000-character reply is judged by its start


class ReplyKind(StrEnum):
    accept = "accept"
    decline = "decline"
    confirm = "confirm"
    withdraw = "withdraw"
    help = "help"
    empty = "empty"
    unknown = "unknown"


@dataclass(frozen=True)
class ParsedReply:
    kind: ReplyKind
    code: str | None = None
    count: int | None = None


KEYWORDS: dict[str, ReplyKind] = {
    **dict.fromkeys(["ok", "okay", "ja", "yes", "j", "y"], ReplyKind.accept),
    **dict.fromkeys(["nej", "no", "n"], ReplyKind.decline),
    **dict.fromkeys(["bekraeft", "bekraft", "bekrft", "confirm"], ReplyKind.confirm),
    **dict.fromkeys(["afmeld", "cancel"], ReplyKind.withdraw),
    **dict.fromkeys(["hjaelp", "hjalp", "help", "?"], ReplyKind.help),
}
_DANISH = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"})
_TOKEN = re.compile(r"[a-z]+|\d+|\?")


def normalise(text: str) -> str:
    folded = text[:MAX_LOOK].casefold().translate(_DANISH)
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def parse_reply(text: str) -> ParsedReply:
    tokens = _TOKEN.findall(normalise(text or ""))
    if not tokens:
        return ParsedReply(ReplyKind.empty if not (text or "").strip() else ReplyKind.unknown)
    kind = KEYWORDS.get(tokens[0], ReplyKind.unknown)
    if kind is ReplyKind.unknown:
        return ParsedReply(kind)
    code = next((t for t in tokens[1:] if t.isdigit() and 4 <= len(t) <= 6), None)
    count = next((int(t) for t in tokens[1:] if t.isdigit() and len(t) <= 2), None)
    return ParsedReply(kind, code, count)
