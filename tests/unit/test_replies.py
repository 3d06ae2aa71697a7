"""The SMS reply grammar: case, accents, glued codes, extra words; never raises."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifications.replies import ParsedReply, ReplyKind, parse_reply

A, D = ReplyKind.accept, ReplyKind.decline


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
        ("🙂", ParsedReply(ReplyKind.unknown)),
        ("", ParsedReply(ReplyKind.empty)),
        ("   \n", ParsedReply(ReplyKind.empty)),
        ("JA 4821 3", ParsedReply(A, "4821", 3)),
        ("ja 3", ParsedReply(A, None, 3)),
        ("ok 123", ParsedReply(A)),  # three digits: neither a code nor a count
        ("bekræft 4821", ParsedReply(ReplyKind.confirm, "4821")),
        ("BEKRAEFT 4821", ParsedReply(ReplyKind.confirm, "4821")),
        ("afmeld 4821", ParsedReply(ReplyKind.withdraw, "4821")),
        ("hjælp", ParsedReply(ReplyKind.help)),
        ("Okay, kommer! 4821", ParsedReply(A, "4821")),
        ("ØK", ParsedReply(ReplyKind.unknown)),
        ("hvem er I?", ParsedReply(ReplyKind.unknown)),
        ("ok 2026-0001", ParsedReply(A, "2026")),
    ],
)
def test_reply_table(text, expected):
    assert parse_reply(text) == expected


def test_a_code_belonging_to_someone_else_is_parsed_as_a_code():
    # the parser only reads; whether 7777 is the sender's page is the service's business
    assert parse_reply("OK 7777") == ParsedReply(A, "7777")


def test_two_thousand_characters_parse_quickly_and_by_their_start():
    text = "ok 4821 " + "bla " * 500
    assert len(text) > 2000
    started = time.perf_counter()
    for _ in range(100):
        assert parse_reply(text) == ParsedReply(A, "4821")
    assert parse_reply("x" * 2000).kind is ReplyKind.unknown
    assert time.perf_counter() - started < 5  # generous: guards against quadratic blow-ups


@given(st.text(max_size=3000))
def test_never_raises(text):
    assert isinstance(parse_reply(text), ParsedReply)
