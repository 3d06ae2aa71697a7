"""The Danish words the console shows for the services' own terms."""

from __future__ import annotations

import pytest

from web import words


@pytest.mark.parametrize(
    ("by", "shown"),
    [
        ("Frida Bak (authority)", "Frida Bak (myndighed)"),
        ("Søren Madsen (steering)", "Søren Madsen (styregruppen)"),
        ("Jens (Jensen) Rasmussen (crisis_staff)", "Jens (Jensen) Rasmussen (krisestaben)"),
        ("Frida Bak", "Frida Bak"),
        ("token 3 (unknown)", "token 3 (unknown)"),
        ("", ""),
        (None, ""),
    ],
)
def test_who_did_it_is_named_with_the_role_in_danish(by, shown):
    assert words.actor(by) == shown


def test_every_sms_state_has_a_danish_word():
    for state in ("pending", "queued", "sending", "sent", "delivered", "failed", "undelivered"):
        assert words.word(words.DELIVERY, state) != state
