"""The SMS reply grammar (DESIGN.md). Pure: text in, a parsed reply out; never raises.

The first word decides the kind; case and accents are ignored, letters and digits glued together
are split ("OK4821"), extra words are tolerated. After the keyword, the first run of 4–6 digits is
the page code and the first number of 1–2 digits the count of agents (volunteer replies).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

# A reply is judged by its start: a pasted 2,000-character text costs no more than a short one.
MAX_LOOK = 200


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
    code: str | None = None  # page code: a run of 4-6 digits
    count: int | None = None  # number of agents for volunteer replies (1-2 digits)


KEYWORDS: dict[str, ReplyKind] = {
    **dict.fromkeys(["ok", "okay", "ja", "yes", "j", "y"], ReplyKind.accept),
    **dict.fromkeys(["nej", "no", "n"], ReplyKind.decline),
    **dict.fromkeys(["bekraeft", "bekraft", "bekrft", "confirm"], ReplyKind.confirm),
    **dict.fromkeys(["afmeld", "cancel"], ReplyKind.withdraw),
    **dict.fromkeys(["hjaelp", "hjalp", "help", "?"], ReplyKind.help),
}
_DANISH = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"})
# ASCII only: a letter run, a digit run, or "?" — everything else (punctuation, emoji,
# other scripts) separates tokens. [0-9] rather than \d keeps e.g. Arabic-Indic digits out of codes.
_TOKEN = re.compile(r"[a-z]+|[0-9]+|\?")


def normalise(text: str) -> str:
    """Casefolded, Danish letters spelled out, other accents stripped; at most MAX_LOOK chars."""
    # NFC first so a decomposed "å" (a + ring) is spelled out like the precomposed one.
    head = unicodedata.normalize("NFC", text.lstrip()[:MAX_LOOK])
    folded = head.casefold().translate(_DANISH)
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def parse_reply(text: str) -> ParsedReply:
    text = text or ""
    tokens = _TOKEN.findall(normalise(text))
    if not tokens:
        # Only whitespace is "empty"; an emoji or punctuation alone is something we did not
        # understand, and gets the same helpful answer as any unknown reply.
        return ParsedReply(ReplyKind.empty if not text.strip() else ReplyKind.unknown)
    kind = KEYWORDS.get(tokens[0], ReplyKind.unknown)
    if kind is ReplyKind.unknown:
        return ParsedReply(kind)
    numbers = [t for t in tokens[1:] if t.isdigit()]
    code = next((t for t in numbers if 4 <= len(t) <= 6), None)
    count = next((int(t) for t in numbers if len(t) <= 2), None)
    return ParsedReply(kind, code, count)
