"""Inbound SMS routing called directly: who sent it, which page it answers, what it does, what
we answer, and that one MessageSid is processed once."""

from __future__ import annotations

import itertools

import pytest

from beredskab.activations.models import ActivationStatus, CalloutState, PageState
from beredskab.flows.inbound import AUTO_REPLIES_PER_HOUR, handle_inbound_sms
from beredskab.lifecycle import staff as crisis_staff
from beredskab.roles import Role
from tests.services import rows
from tests.services.conftest import NOW

pytestmark = pytest.mark.db

OUR_NUMBER = "+4570000000"
_sids = itertools.count(1)


async def _sms(staff, session, sender: str, body: str, *, sid: str | None = None):
    """`sender` is a person's id or a phone number."""
    phone = staff.phone(sender) if sender in staff.people else sender
    return await handle_inbound_sms(
        session,
        staff.cfg,
        message_sid=sid or f"SM{next(_sids):032d}",
        from_number=phone,
        to_number=OUR_NUMBER,
        body=body,
        own_numbers={OUR_NUMBER},
        now=NOW,
    )


async def test_an_unknown_number_gets_a_helpful_answer_and_is_kept(staff, session):
    result = await _sms(staff, session, "+4599999999", "OK 1234")
    assert result.outcome == "unknown_sender" and "DDH" in result.reply
    [answer] = await rows.sms(session, to="+4599999999")
    assert answer.body == result.reply and answer.auto_reply and answer.person_id is None
    [kept] = await rows.inbound(session)
    assert (kept.outcome, kept.person_id, kept.body) == ("unknown_sender", None, "OK 1234")


async def test_our_own_number_is_stored_and_never_answered(staff, session):
    result = await _sms(staff, session, OUR_NUMBER, "hej")
    assert (result.outcome, result.reply) == ("own_number_ignored", None)
    assert await rows.sms(session) == []
    assert [m.outcome for m in await rows.inbound(session)] == ["own_number_ignored"]


async def test_a_garbled_reply_to_one_open_page_names_its_code(staff, session):
    activation = await staff.active()
    [page] = await rows.pages(session, activation.id, person_id="log0")
    for text in ["🙂", "", "x" * 2000]:
        result = await _sms(staff, session, "log0", text)
        assert result.outcome == "garbled" and f"OK {page.code}" in result.reply
    assert page.state == PageState.open


async def test_a_garbled_reply_with_several_open_pages_gets_the_help_text(staff, session):
    await staff.active()
    await staff.active(title="Anden hændelse")  # log0 is paged twice now
    result = await _sms(staff, session, "log0", "hvad?")
    assert result.outcome == "garbled" and "efterfulgt af koden" in result.reply


async def test_ok_without_a_code_to_two_open_pages_asks_which(staff, session):
    first = await staff.active()
    second = await staff.active(title="Anden hændelse")
    codes = [(await rows.pages(session, a.id, person_id="log0"))[0].code for a in (first, second)]
    result = await _sms(staff, session, "log0", "ok")
    assert result.outcome == "ambiguous" and " / ".join(codes) in result.reply
    callouts = [(await rows.callouts(session, a.id))["log_keeper"] for a in (first, second)]
    assert {c.state for c in callouts} == {CalloutState.calling}  # nothing was acknowledged


async def test_ok_with_the_code_of_one_answers_that_one(staff, session):
    first = await staff.active()
    second = await staff.active(title="Anden hændelse")
    [page] = await rows.pages(session, second.id, person_id="log0")
    result = await _sms(staff, session, "log0", f"OK{page.code}")
    assert result.outcome == "role_filled"
    assert (await rows.callouts(session, second.id))["log_keeper"].person_id == "log0"
    assert (await rows.callouts(session, first.id))["log_keeper"].state == CalloutState.calling
    assert (await rows.log(session, second.id))[-1].data["via"] == "SMS"


async def test_a_code_that_belongs_to_someone_else_is_refused(staff, session):
    activation = await staff.active()
    [foreign] = await rows.pages(session, activation.id, person_id="proc0")
    result = await _sms(staff, session, "log0", f"ok {foreign.code}")
    assert result.outcome == "unknown_code" and foreign.code in result.reply
    assert {c.state for c in (await rows.callouts(session, activation.id)).values()} == {
        CalloutState.calling
    }


async def test_a_reply_from_someone_without_an_open_page(staff, session):
    result = await _sms(staff, session, "outsider", "ok")
    assert result.outcome == "no_open_page" and "ingen åbne" in result.reply.lower()


async def test_help_is_answered_with_the_grammar(staff, session):
    result = await _sms(staff, session, "outsider", "hjælp")
    assert result.outcome == "help" and "OK 4821" in result.reply


async def test_a_steering_members_ok_endorses_the_request(staff, session):
    activation = await staff.request()
    [page] = await rows.pages(session, activation.id, person_id="steer1")
    result = await _sms(staff, session, "steer1", f"ok {page.code}")
    assert result.outcome == "endorsed" and "godkendt" in result.reply
    assert (await rows.log(session, activation.id))[2].text.endswith("(SMS).")
    [other] = await rows.pages(session, activation.id, person_id="steer2")
    late = await _sms(staff, session, "steer2", f"ok {other.code}")
    assert late.outcome == "already_endorsed"


async def test_a_steering_members_no_is_noted_and_the_request_stays_open(staff, session):
    activation = await staff.request()
    result = await _sms(staff, session, "steer1", "nej")
    assert result.outcome == "endorse_declined"
    [page] = await rows.pages(session, activation.id, person_id="steer1")
    assert page.state == PageState.declined
    assert (await rows.log_kinds(session, activation.id))[-1] == "endorsement_declined"
    assert (await rows.callouts(session, activation.id)) == {}


async def test_a_late_answer_to_a_closed_request_is_told_it_is_closed(staff, session):
    from beredskab.flows.closing import end_before_endorsement

    activation = await staff.request()
    [page] = await rows.pages(session, activation.id, person_id="steer1")
    await end_before_endorsement(
        session,
        staff.cfg,
        activation.id,
        status=ActivationStatus.rejected,
        by="x",
        reason="",
        now=NOW,
    )
    result = await _sms(staff, session, "steer1", f"ok {page.code}")
    assert result.outcome == "activation_closed"


async def test_a_repeated_message_sid_from_our_own_number_is_a_duplicate(staff, session):
    assert (await _sms(staff, session, OUR_NUMBER, "hej", sid="SMloop")).outcome != "duplicate"
    again = await _sms(staff, session, OUR_NUMBER, "hej", sid="SMloop")
    assert (again.outcome, again.reply) == ("duplicate", None)
    assert len(await rows.inbound(session)) == 1


async def test_a_replayed_message_sid_is_a_duplicate_and_changes_nothing(staff, session):
    activation_id = (await staff.active()).id  # the duplicate rolls back: loaded rows expire
    first = await _sms(staff, session, "log0", "nej", sid="SMreplay")
    assert first.outcome == "declined"
    written = (len(await rows.sms(session)), len(await rows.pages(session, activation_id)))
    again = await _sms(staff, session, "log0", "nej", sid="SMreplay")
    assert (again.outcome, again.reply) == ("duplicate", None)
    assert (len(await rows.sms(session)), len(await rows.pages(session, activation_id))) == written
    assert [m.outcome for m in await rows.inbound(session)] == ["declined"]


async def test_an_acknowledgement_by_sms_and_by_api_fill_the_role_once(staff, session):
    activation = await staff.active()
    await crisis_staff.answer_role_page_via_api(
        session,
        staff.cfg,
        activation.id,
        Role.log_keeper,
        await staff.crisis_staff("log0"),
        accept=True,
        now=NOW,
    )
    result = await _sms(staff, session, "log0", "ok")
    assert result.outcome == "no_open_page"  # the page was answered through the API


async def test_auto_answers_are_capped_per_number_per_hour(staff, session):
    results = [await _sms(staff, session, "+4599999998", "hvad?") for _ in range(8)]
    answered = [r.reply for r in results if r.reply is not None]
    assert len(answered) == AUTO_REPLIES_PER_HOUR
    assert "for mange beskeder" in answered[-1]
    assert len(await rows.sms(session, to="+4599999998")) == AUTO_REPLIES_PER_HOUR
    assert len(await rows.inbound(session)) == 8  # every message is kept, answered or not
