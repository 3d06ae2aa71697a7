"""SMS segment arithmetic (GSM 03.38 / UCS-2), so pages stay within two segments. Pure."""

from __future__ import annotations

from typing import Literal

GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = set("^{}\\[~]|€\f")


def encoding_of(text: str) -> Literal["GSM-7", "UCS-2"]:
    return "GSM-7" if all(c in GSM_BASIC or c in GSM_EXTENSION for c in text) else "UCS-2"


def _units(text: str) -> tuple[int, int, int]:
    """(length in units, single-segment capacity, per-segment capacity when concatenated)."""
    if encoding_of(text) == "GSM-7":
        return sum(2 if c in GSM_EXTENSION else 1 for c in text), 160, 153
    # UCS-2 counts UTF-16 code units: an emoji takes two
    return len(text.encode("utf-16-le")) // 2, 70, 67


def segment_count(text: str) -> int:
    units, single, multi = _units(text)
    if units <= single:
        return 1
    return -(-units // multi)


def fit_segments(text: str, max_segments: int = 2) -> str:
    """`text` unchanged if it fits in `max_segments`, else cut (at a word if possible) with an
    ellipsis that keeps the encoding ("..." for GSM-7 text, "…" otherwise)."""
    if segment_count(text) <= max_segments:
        return text
    ellipsis = "..." if encoding_of(text) == "GSM-7" else "…"
    lo, hi = 0, len(text)
    while lo < hi:  # longest prefix that fits with the ellipsis
        mid = (lo + hi + 1) // 2
        if segment_count(text[:mid].rstrip() + ellipsis) <= max_segments:
            lo = mid
        else:
            hi = mid - 1
    cut = text[:lo]
    space = cut.rfind(" ")
    if space > lo * 0.8:
        cut = cut[:space]
    return cut.rstrip() + ellipsis
