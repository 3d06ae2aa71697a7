"""The SMS reply grammar. Pure: text in, a parsed reply out; never raises.

The first word decides the kind; case and accents are ignored, a keyword glued to a code is
split ("OK4821"), extra words are tolerated. After the keyword, the page code is the first word
of 4-6 digits, or the first word that mixes letters and digits: a code typed with a letter for a
digit ("84O6") is kept as typed, so it matches no page and changes nothing. The count of agents
(volunteer replies) is a separate word of 1-2 digits after the code, or the only such word when
no code is given ("JA 2" with one open page).
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
# ASCII only: a word of letters and digits, or "?"; everything else (spaces, punctuation, emoji,
# other scripts) separates words. [0-9] rather than \d keeps e.g. Arabic-Indic digits out of codes.
_WORD = re.compile(r"[a-z0-9]+|\?")
# the keywords longest first, so "okay4821" splits as okay + 4821, not ok + ay4821
_BY_LENGTH = sorted(KEYWORDS, key=len, reverse=True)


def normalise(text: str) -> str:
    """Casefolded, Danish letters spelled out, other accents stripped; at most MAX_LOOK chars."""
    # NFC first so a decomposed "å" (a + ring) is spelled out like the precomposed one.
    head = unicodedata.normalize("NFC", text.lstrip()[:MAX_LOOK])
    folded = head.casefold().translate(_DANISH)
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _keyword(word: str) -> tuple[ReplyKind, str | None]:
    """The kind a first word names, and what was glued to it (digits only), if anything."""
    if word in KEYWORDS:
        return KEYWORDS[word], None
    for key in _BY_LENGTH:
        rest = word[len(key) :]
        if word.startswith(key) and rest.isdigit():
            return KEYWORDS[key], rest
    return ReplyKind.unknown, None


def _is_code(word: str) -> bool:
    if word.isdigit():
        return 4 <= len(word) <= 6
    return any(c.isdigit() for c in word) and any(c.isalpha() for c in word)


def _is_count(word: str) -> bool:
    return word.isdigit() and len(word) <= 2


def parse_reply(text: str) -> ParsedReply:
    text = text or ""
    words = _WORD.findall(normalise(text))
    if not words:
        # Only whitespace is "empty"; an emoji or punctuation alone is something we did not
        # understand, and gets the same helpful answer as any unknown reply.
        return ParsedReply(ReplyKind.empty if not text.strip() else ReplyKind.unknown)
    kind, glued = _keyword(words[0])
    if kind is ReplyKind.unknown:
        return ParsedReply(kind)
    rest = ([glued] if glued else []) + words[1:]
    at = next((i for i, w in enumerate(rest) if _is_code(w)), None)
    if at is None:
        count = next((int(w) for w in rest if _is_count(w)), None)
        return ParsedReply(kind, None, count)
    code = rest[at] if rest[at].isdigit() else rest[at].upper()
    count = next((int(w) for w in rest[at + 1 :] if _is_count(w)), None)
    return ParsedReply(kind, code, count)
