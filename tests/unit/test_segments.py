from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from notifications.segments import encoding_of, fit_segments, segment_count


def test_danish_letters_are_gsm7():
    assert encoding_of("Rødgrød med fløde på Ærø") == "GSM-7"
    assert encoding_of("ØVELSE — test") == "UCS-2"  # the em dash is not GSM-7


def test_segment_boundaries():
    assert segment_count("a" * 160) == 1 and segment_count("a" * 161) == 2
    assert segment_count("a" * 306) == 2 and segment_count("a" * 307) == 3
    assert segment_count("€" * 80) == 1 and segment_count("€" * 81) == 2  # extension: 2 septets
    assert segment_count("ж" * 70) == 1 and segment_count("ж" * 71) == 2
    assert segment_count("ж" * 134) == 2 and segment_count("ж" * 135) == 3


def test_fit_keeps_short_text_and_cuts_long_text_within_two_segments():
    assert fit_segments("kort") == "kort"
    cut = fit_segments("ord " * 200)
    assert segment_count(cut) <= 2 and cut.endswith("...")
    ucs = fit_segments("—ord " * 100)
    assert segment_count(ucs) <= 2 and ucs.endswith("…")


@given(st.text(max_size=1000), st.integers(1, 4))
def test_fit_always_fits(text, n):
    assert segment_count(fit_segments(text, n)) <= n
