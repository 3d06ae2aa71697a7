"""The Danish words the console shows for the services' own terms."""

from __future__ import annotations

from web import words


def test_every_sms_state_has_a_danish_word():
    for state in ("pending", "queued", "sending", "sent", "delivered", "failed", "undelivered"):
        assert words.word(words.DELIVERY, state) != state
