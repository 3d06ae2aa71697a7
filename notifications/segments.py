"""SMS segment arithmetic (GSM 03.38 / UCS-2), so pages stay within two segments. Pure."""

from __future__ import annotations

from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

# GSM 03.38 basic character set (the escape code itself excluded). Danish æøåÆØÅ are in it.
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each of these costs two septets (escape + character).
GSM_EXTENSION = frozenset("^{}\\[~]|€\f")

# (capacity of a single-part message, capacity of each part of a concatenated one); the
# difference is the user data header that numbers the parts.
_CAPACITY: dict[str, tuple[int, int]] = {"GSM-7": (160, 153), "UCS-2": (70, 67)}

_GSM_ELLIPSIS = "..."  # "…" is not GSM-7: one would turn a whole page into UCS-2
_UCS_ELLIPSIS = "…"
_TRAILING = " \t\r\n,;:-–."


def _is_gsm(c: str) -> bool:
    return c in GSM_BASIC or c in GSM_EXTENSION


def encoding_of(text: str) -> Encoding:
    return "GSM-7" if all(_is_gsm(c) for c in text) else "UCS-2"


def _units(text: str, encoding: Encoding) -> list[int]:
    """Cost of each character: septets for GSM-7, UTF-16 code units for UCS-2."""
    if encoding == "GSM-7":
        return [2 if c in GSM_EXTENSION else 1 for c in text]
    return [2 if ord(c) > 0xFFFF else 1 for c in text]


def segment_count(text: str) -> int:
    """Parts the text is sent as. An escape pair or a surrogate pair is never split across two
    parts, so a long text can need one part more than its length alone suggests."""
    encoding = encoding_of(text)
    units = _units(text, encoding)
    single, multi = _CAPACITY[encoding]
    if sum(units) <= single:
        return 1
    parts, used = 1, 0
    for unit in units:
        if used + unit > multi:
            parts, used = parts + 1, 0
        used += unit
    return parts


def fit_segments(text: str, max_segments: int = 2) -> str:
    """`text` unchanged if it fits in `max_segments`, else cut (at a word if that loses little)
    and ended with an ellipsis, so the result fits.

    "..." keeps GSM-7 text GSM-7. When the text is UCS-2 only because of a character late in it,
    cutting before that character and ending in "..." can keep far more of it than "…" would.
    """
    if max_segments < 1:
        raise ValueError("max_segments must be at least 1")
    if segment_count(text) <= max_segments:
        return text
    first_non_gsm = next((i for i, c in enumerate(text) if not _is_gsm(c)), len(text))
    candidates = [_cut(text, first_non_gsm, _GSM_ELLIPSIS, max_segments)]
    if first_non_gsm < len(text):
        candidates.append(_cut(text, len(text), _UCS_ELLIPSIS, max_segments))
    # the longest; on a tie the GSM-7 one (listed first)
    return max(candidates, key=len)


def _cut(text: str, limit: int, ellipsis: str, max_segments: int) -> str:
    """The longest prefix of text[:limit], ended with `ellipsis`, that fits."""

    def fits(n: int) -> bool:
        return segment_count(_end(text[:n], ellipsis)) <= max_segments

    lo, hi = 0, limit
    while lo < hi:  # fits() is monotone in n: a longer prefix never needs fewer parts
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    cut = text[:lo]
    if lo < len(text) and not text[lo].isspace():  # the cut falls inside a word
        space = max(cut.rfind(" "), cut.rfind("\n"))
        if space > lo * 0.8:  # back up to the word's start unless that loses too much
            cut = cut[:space]
    return _end(cut, ellipsis)


def _end(prefix: str, ellipsis: str) -> str:
    return prefix.rstrip(_TRAILING) + ellipsis
