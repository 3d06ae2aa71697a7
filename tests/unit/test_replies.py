"""The SMS reply grammar: case, accents, glued codes, extra words; never raises."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from beredskab.replies import _WORD, KEYWORDS, ParsedReply, ReplyKind, normalise, parse_reply

A, D = ReplyKind.accept, ReplyKind.decline
C, W, H = ReplyKind.confirm, ReplyKind.withdraw, ReplyKind.help
U, E = ReplyKind.unknown, ReplyKind.empty


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ok", ParsedReply(A)),
        ("Ok 4821", ParsedReply(A, "4821")),
        ("OK4821", ParsedReply(A, "4821")),
        ("  ja tak ", ParsedReply(A)),
        ("JA", ParsedReply(A)),
        ("nej", ParsedReply(D)),
        ("Nej beklager", ParsedReply(D)),
        ("YES", ParsedReply(A)),
        ("no", ParsedReply(D)),
        ("j", ParsedReply(A)),
        ("Y", ParsedReply(A)),
        ("N", ParsedReply(D)),
        ("Ok.", ParsedReply(A)),
        ("ok!!! 👍", ParsedReply(A)),
        ("🙂", ParsedReply(U)),
        ("👍", ParsedReply(U)),
        ("!!!", ParsedReply(U)),
        ("", ParsedReply(E)),
        ("   \n", ParsedReply(E)),
        ("JA 4821 3", ParsedReply(A, "4821", 3)),
        ("ja 3", ParsedReply(A, None, 3)),
        ("ja3", ParsedReply(A, None, 3)),
        ("Ja, 4821 - vi kan stille med 12 agenter", ParsedReply(A, "4821", 12)),
        ("ja 2 4821", ParsedReply(A, "4821")),  # a count is only ever read after the code
        # a letter typed for a digit makes a code that matches no page (issue #14.2)
        ("JA 84O6 2", ParsedReply(A, "84O6", 2)),
        ("ja 84o6", ParsedReply(A, "84O6")),
        ("BEKRÆFT 48a1 5", ParsedReply(C, "48A1", 5)),
        ("afmeld l821", ParsedReply(W, "L821")),
        ("ja84o6 2", ParsedReply(U)),  # glued to the keyword, only digits split off
        ("okay4821", ParsedReply(A, "4821")),
        ("ja 8406 2", ParsedReply(A, "8406", 2)),
        ("ok 123", ParsedReply(A)),  # three digits: neither a code nor a count
        ("ok 4821 123 2", ParsedReply(A, "4821", 2)),
        ("ok 123456", ParsedReply(A, "123456")),
        ("ok 1234567", ParsedReply(A)),  # seven digits (a phone number?) is no code
        ("ok 2026-0001", ParsedReply(A, "2026")),
        ("nej4821", ParsedReply(D, "4821")),
        ("OK 🙂 4821", ParsedReply(A, "4821")),
        ("bekræft 4821", ParsedReply(C, "4821")),
        ("BEKRÆFT 4821", ParsedReply(C, "4821")),
        ("BEKRAEFT 4821", ParsedReply(C, "4821")),
        ("bekraft 4821", ParsedReply(C, "4821")),
        ("bekräft 4821", ParsedReply(C, "4821")),  # a foreign keyboard's accent is ignored
        ("bekra\u0308ft", ParsedReply(C)),  # the same, decomposed
        ("confirm", ParsedReply(C)),
        ("afmeld 4821", ParsedReply(W, "4821")),
        ("Cancel", ParsedReply(W)),
        ("hjælp", ParsedReply(H)),
        ("HJÆLP", ParsedReply(H)),
        ("hja\u030alp", ParsedReply(U)),  # "hjålp" spells out as "hjaalp": not a keyword
        ("help", ParsedReply(H)),
        ("?", ParsedReply(H)),
        ("Okay, kommer! 4821", ParsedReply(A, "4821")),
        ("ØK", ParsedReply(U)),
        ("hvem er I?", ParsedReply(U)),
        ("4821 ok", ParsedReply(U)),  # the first word decides
        ("jeg kommer, ok 4821", ParsedReply(U)),
        ("ok ٤٨٢١", ParsedReply(A)),  # only ASCII digits make a code
    ],
)
def test_reply_table(text, expected):
    assert parse_reply(text) == expected


def test_kinds_compare_as_plain_strings():
    # the service routes on str(kind): keep the values stable
    assert [str(k) for k in ReplyKind] == [
        "accept",
        "decline",
        "confirm",
        "withdraw",
        "help",
        "empty",
        "unknown",
    ]


def test_a_code_belonging_to_someone_else_is_parsed_as_a_code():
    # the parser only reads; whether 7777 is the sender's page is the service's business
    assert parse_reply("OK 7777") == ParsedReply(A, "7777")


def test_two_thousand_characters_are_judged_by_their_start():
    text = "ok 4821 " + "bla " * 500
    assert len(text) > 2000
    assert parse_reply(text) == ParsedReply(A, "4821")
    assert parse_reply("x" * 2000).kind is U
    assert parse_reply("9" * 2000).kind is U
    assert parse_reply(" " * 2000 + "ja 4821") == ParsedReply(A, "4821")  # leading blanks skipped
    assert parse_reply("ja " + "x " * 1000 + "4821") == ParsedReply(A)  # too far in to count


@given(st.text(max_size=3000))
def test_never_raises_and_fields_keep_their_shape(text):
    parsed = parse_reply(text)
    assert isinstance(parsed, ParsedReply) and isinstance(parsed.kind, ReplyKind)
    if parsed.code is not None and parsed.code.isdigit():
        assert parsed.code.isascii() and 4 <= len(parsed.code) <= 6
    elif parsed.code is not None:  # a mistyped code: letters and digits, as typed, never a page's
        assert parsed.code.isascii() and parsed.code.isalnum() and parsed.code.isupper()
        assert any(c.isdigit() for c in parsed.code) and any(c.isalpha() for c in parsed.code)
    if parsed.count is not None:
        assert 0 <= parsed.count <= 99
    if parsed.kind in (U, E):
        assert parsed.code is None and parsed.count is None


@given(
    st.sampled_from(sorted(KEYWORDS)),
    st.sampled_from([" ", ", ", "! ", "\n"]),
    st.text(max_size=100),
)
def test_a_keyword_first_decides_whatever_follows(keyword, sep, rest):
    for spelled in (keyword, keyword.upper(), keyword.capitalize()):
        assert parse_reply(spelled + sep + rest).kind is KEYWORDS[keyword]


@given(st.integers(1000, 999999), st.integers(1, 99))
def test_code_and_count_round_trip(code, count):
    assert parse_reply(f"JA {code} {count}") == ParsedReply(A, str(code), count)
    assert parse_reply(f"ja{code}") == ParsedReply(A, str(code))


_CODES = st.text(alphabet="0123456789", min_size=4, max_size=6)


@given(
    code=_CODES,
    at=st.integers(min_value=0, max_value=5),
    letter=st.sampled_from("oOlIsSbBzZgqa"),
    count=st.integers(min_value=0, max_value=99),
    keyword=st.sampled_from(["JA", "ok", "Bekræft", "afmeld", "nej"]),
)
def test_a_code_with_a_letter_for_a_digit_is_never_a_real_code(code, at, letter, count, keyword):
    """Page codes are digits only, so a reply whose code carries a letter cannot match a page:
    it is answered 'Koden ... passer ikke' and changes no allocation (issue #14.2)."""
    at = at % len(code)
    typo = code[:at] + letter + code[at + 1 :]
    parsed = parse_reply(f"{keyword} {typo} {count}")
    assert parsed.code == typo.upper()
    assert not parsed.code.isdigit()
    assert parsed.count == count


@given(st.text(max_size=40))
def test_a_digit_code_is_a_whole_word_of_the_reply_never_a_piece_of_one(text):
    parsed = parse_reply(text)
    if parsed.code is not None and parsed.code.isdigit():
        words = _WORD.findall(normalise(text))
        glued = words[0].endswith(parsed.code) and words[0][: -len(parsed.code)] in KEYWORDS
        assert parsed.code in words[1:] or glued
