"""Segment arithmetic: GSM-7 with its extension table, UCS-2, and cutting pages to fit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifications.segments import encoding_of, fit_segments, segment_count


def test_danish_letters_are_gsm7():
    assert encoding_of("Rødgrød med fløde på Ærø: ÆØÅ æøå") == "GSM-7"
    assert encoding_of("Pris: 10€ [tilbud] {x} ~ ^ | \\") == "GSM-7"  # the extension table
    assert encoding_of("ØVELSE — test") == "UCS-2"  # the em dash is not GSM-7
    assert encoding_of("vi ses 🙂") == "UCS-2"
    assert encoding_of("…") == "UCS-2"
    assert encoding_of("") == "GSM-7"


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("æøå" * 53 + "Æ", 1),  # 160 Danish letters: still one GSM-7 segment
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # extension: 2 septets each
        ("€" * 81, 2),
        ("a" * 152 + "€" + "a" * 152, 3),  # 306 septets, but an escape pair is never split
        ("ж" * 70, 1),
        ("ж" * 71, 2),
        ("ж" * 134, 2),
        ("ж" * 135, 3),
        ("🙂" * 35, 1),  # an emoji is two UTF-16 units
        ("🙂" * 36, 2),
        ("ж" * 66 + "🙂" + "ж" * 66, 3),  # 134 units, but a surrogate pair is never split
    ],
)
def test_segment_count(text, segments):
    assert segment_count(text) == segments


def test_fit_keeps_text_that_fits():
    assert fit_segments("kort") == "kort"
    assert fit_segments("a" * 306) == "a" * 306
    assert fit_segments("a" * 161, 1) == "a" * 157 + "..."


def test_fit_cuts_gsm7_at_a_word_with_three_dots():
    text = "Beredskab aktiveret. " + "Svar OK 4821 eller NEJ 4821 hurtigst muligt. " * 10
    cut = fit_segments(text)
    assert segment_count(cut) == 2 and encoding_of(cut) == "GSM-7"
    assert cut.endswith("...") and not cut.endswith("....")
    stem = cut.removesuffix("...")
    assert text.startswith(stem) and text[len(stem)] in " ."  # ends at a word boundary
    assert len(cut) > 280  # and loses little


def test_fit_cuts_ucs2_with_an_ellipsis_character():
    text = "—ord " * 100
    cut = fit_segments(text)
    assert segment_count(cut) <= 2 and cut.endswith("…")
    assert text.startswith(cut.removesuffix("…"))


def test_a_late_emoji_is_cut_away_rather_than_turning_the_page_into_ucs2():
    text = "Beredskab aktiveret. " * 20 + "🙂"
    cut = fit_segments(text)
    assert encoding_of(cut) == "GSM-7" and segment_count(cut) == 2
    assert len(cut) > 290  # "…" would have allowed only 134 units


def test_one_long_word_is_cut_mid_word():
    cut = fit_segments("x" * 1000, 1)
    assert cut == "x" * 157 + "..."


def test_max_segments_must_be_positive():
    with pytest.raises(ValueError, match="max_segments"):
        fit_segments("x", 0)


@given(st.text(max_size=1000), st.integers(1, 4))
def test_fit_always_fits_and_keeps_a_prefix(text, n):
    cut = fit_segments(text, n)
    assert segment_count(cut) <= n
    if segment_count(text) <= n:
        assert cut == text
    else:
        stem = cut.removesuffix("...").removesuffix("…")
        assert cut != stem and text.startswith(stem)


@given(st.text(alphabet="abc æøå€{}", max_size=600))
def test_gsm7_text_stays_gsm7(text):
    assert encoding_of(fit_segments(text)) == "GSM-7"
