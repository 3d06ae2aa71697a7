"""One contract for every SMS gateway: fake, console, and Twilio (the real SDK against the mock).

Then what only the Twilio gateway has to get right: the request it makes, time-outs, the error
mapping, and the webhook signature helper. No database.
"""

from __future__ import annotations

import asyncio
import base64
import io
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator

from notifications.console_gateway import ConsoleGateway
from notifications.factory import build_gateway
from notifications.fake_gateway import FakeGateway
from notifications.gateway import ProviderResult, SmsGateway, SmsSendError
from notifications.twilio_gateway import TwilioGateway, classify, parse_retry_after
from tests.twilio_mock import MAGIC_ERRORS, TEST_FROM, TwilioMock, sign

INVALID = "+15005550001"  # Twilio's magic numbers: 21211 invalid To
UNSUBSCRIBED = "+15005550004"  # 21610 replied STOP
NOT_SMS_CAPABLE = "+15005550009"  # 21614 landline
PERMANENT = [(INVALID, 21211), (UNSUBSCRIBED, 21610), (NOT_SMS_CAPABLE, 21614)]
PHONE = "+4520123456"
SERVICE_SID = "MG" + "2" * 32


@pytest.fixture
def mock():
    with TwilioMock() as m:
        yield m


def twilio_gateway(mock: TwilioMock, **overrides: object) -> TwilioGateway:
    values: dict = {"from_number": TEST_FROM, "api_base_url": mock.base_url, "timeout_s": 5}
    values.update(overrides)
    return TwilioGateway(mock.account_sid, mock.auth_token, **values)


@dataclass
class Harness:
    """A gateway plus the knob that makes its provider fail once, transiently."""

    gateway: SmsGateway
    fail_once: Callable[[int], None]  # HTTP-like status: 500, 503, 429


def _recording_harness(gw: FakeGateway) -> Harness:
    # the recording gateways are told what the real provider would say for the magic numbers
    for number, (code, message) in MAGIC_ERRORS.items():
        gw.fail_numbers[number] = SmsSendError(message, permanent=True, code=code)

    def fail_once(status: int) -> None:
        code = 20429 if status == 429 else None
        gw.fail_next.append(SmsSendError(f"provider {status}", permanent=False, code=code))

    return Harness(gw, fail_once)


@pytest.fixture(params=["fake", "console", "twilio"])
async def harness(request) -> AsyncIterator[Harness]:
    if request.param == "twilio":
        mock = request.getfixturevalue("mock")
        gw = twilio_gateway(mock)
        h = Harness(gw, lambda status: mock.fail_next(1, status=status))
    elif request.param == "console":
        h = _recording_harness(ConsoleGateway(stream=io.StringIO()))
    else:
        h = _recording_harness(FakeGateway())
    yield h
    await h.gateway.aclose()


# -- the contract ----------------------------------------------------------------------------


async def test_send_returns_a_provider_id_per_message(harness):
    first = await harness.gateway.send(PHONE, "Hej æøå ÆØÅ", callback_url="https://x.dk/status")
    second = await harness.gateway.send("+4520123457", "Hej igen")
    for result in (first, second):
        assert isinstance(result, ProviderResult)
        assert result.provider_id and result.status in {"queued", "accepted", "sent"}
    assert first.provider_id != second.provider_id
    assert harness.gateway.name in {"fake", "console", "twilio"}


@pytest.mark.parametrize(("to", "code"), PERMANENT)
async def test_invalid_unsubscribed_or_landline_number_fails_for_good(harness, to, code):
    with pytest.raises(SmsSendError) as exc:
        await harness.gateway.send(to, "Vagt i aften?")
    assert exc.value.permanent is True
    assert exc.value.code == code


@pytest.mark.parametrize("status", [500, 503, 429])
async def test_provider_fault_is_transient_and_the_next_send_goes_through(harness, status):
    harness.fail_once(status)
    with pytest.raises(SmsSendError) as exc:
        await harness.gateway.send(PHONE, "Vagt i aften?")
    assert exc.value.permanent is False
    assert (await harness.gateway.send(PHONE, "Vagt i aften?")).provider_id


async def test_aclose_twice_is_harmless(harness):
    await harness.gateway.send(PHONE, "x")
    await harness.gateway.aclose()
    await harness.gateway.aclose()


# -- the recording gateways ------------------------------------------------------------------


async def test_fake_records_messages_with_sequential_ids():
    gw = FakeGateway()
    result = await gw.send(PHONE, "OK 4821?", callback_url="https://x.dk/s")
    assert result == ProviderResult("FAKE000001", "queued")
    [sms] = gw.sent
    assert (sms.to, sms.body, sms.callback_url, sms.provider_id) == (
        PHONE,
        "OK 4821?",
        "https://x.dk/s",
        "FAKE000001",
    )


async def test_fake_fails_next_before_numbers_and_records_nothing_that_failed():
    gw = FakeGateway()
    gw.fail_numbers[INVALID] = SmsSendError("invalid", permanent=True, code=21211)
    gw.fail_next.append(SmsSendError("busy", permanent=False))
    with pytest.raises(SmsSendError) as exc:
        await gw.send(INVALID, "x")
    assert exc.value.permanent is False
    with pytest.raises(SmsSendError) as exc:
        await gw.send(INVALID, "x")
    assert exc.value.permanent is True
    assert gw.sent == []


async def test_console_prints_recipient_body_and_segments():
    out = io.StringIO()
    gw = ConsoleGateway(stream=out)
    result = await gw.send(PHONE, "Rødgrød på Ærø")
    assert result.provider_id == "CONSOLE000001"
    printed = out.getvalue()
    assert PHONE in printed and "Rødgrød på Ærø" in printed
    assert "1 segment" in printed and "GSM-7" in printed
    assert [m.body for m in gw.sent] == ["Rødgrød på Ærø"]


async def test_console_defaults_to_stdout(capsys):
    gw = ConsoleGateway()
    await gw.send(PHONE, "Hej")
    assert PHONE in capsys.readouterr().out


# -- Twilio: what goes over the wire ---------------------------------------------------------


async def test_twilio_posts_to_body_service_callback_and_validity(mock):
    gw = twilio_gateway(mock, messaging_service_sid=SERVICE_SID, from_number="")
    try:
        result = await gw.send(PHONE, "Svar OK 4821 · æøå", callback_url="https://ddh.dk/s")
    finally:
        await gw.aclose()
    [msg] = mock.messages
    assert result == ProviderResult(msg["sid"], "accepted")
    assert msg["sid"].startswith("SM") and len(msg["sid"]) == 34
    assert msg["To"] == PHONE and msg["Body"] == "Svar OK 4821 · æøå"
    assert msg["MessagingServiceSid"] == SERVICE_SID and msg["From"] is None
    assert msg["StatusCallback"] == "https://ddh.dk/s"
    assert msg["ValidityPeriod"] == "600"


async def test_twilio_uses_from_when_there_is_no_service_and_omits_a_missing_callback(mock):
    gw = twilio_gateway(mock, validity_period_s=120)
    try:
        result = await gw.send(PHONE, "x")
    finally:
        await gw.aclose()
    [msg] = mock.messages
    assert result.status == "queued"
    assert msg["From"] == TEST_FROM and msg["MessagingServiceSid"] is None
    assert msg["StatusCallback"] is None and "StatusCallback" not in msg["form"]
    assert msg["ValidityPeriod"] == "120"


async def test_the_mock_stamps_and_announces_each_message_it_accepts(mock):
    """What the P1 benchmark relies on: an accepted message carries the instant it was accepted
    (this process's `perf_counter`) and wakes whoever waits on `accepted`."""
    seen: list[tuple[bool, int, float]] = []

    def wait() -> None:
        with mock.accepted:
            woken = mock.accepted.wait_for(lambda: len(mock.messages) >= 2, timeout=5)
            seen.append((woken, len(mock.messages), time.perf_counter()))

    waiter = threading.Thread(target=wait)
    waiter.start()
    gw = twilio_gateway(mock)
    before = time.perf_counter()
    try:
        await gw.send(PHONE, "en")
        await gw.send(PHONE, "to")
    finally:
        await gw.aclose()
    after = time.perf_counter()
    await asyncio.to_thread(waiter.join, 5)
    [(woken, count, at)] = seen
    first, second = (m["accepted_at"] for m in mock.messages)
    assert before < first < second < after
    # woken by the second message, not by the timeout's last look
    assert woken and count == 2 and at - second < 1.0


async def test_twilio_requests_come_from_the_sdk_with_basic_auth(mock):
    gw = twilio_gateway(mock)
    try:
        await gw.send(PHONE, "x")
        await gw.send(PHONE, "y")
    finally:
        await gw.aclose()
    basic = base64.b64encode(f"{mock.account_sid}:{mock.auth_token}".encode()).decode()
    assert len(mock.calls) == 2
    for call in mock.calls:
        assert call["method"] == "POST"
        assert call["path"] == f"/2010-04-01/Accounts/{mock.account_sid}/Messages.json"
        assert call["authorization"] == f"Basic {basic}"
        assert call["user_agent"].startswith("twilio-python/")
        assert call["content_type"].startswith("application/x-www-form-urlencoded")


async def test_twilio_wrong_credentials_fail_for_good(mock):
    gw = TwilioGateway(
        mock.account_sid, "wrong-token", from_number=TEST_FROM, api_base_url=mock.base_url
    )
    try:
        with pytest.raises(SmsSendError) as exc:
            await gw.send(PHONE, "x")
    finally:
        await gw.aclose()
    assert exc.value.permanent is True and exc.value.code == 20003
    assert mock.messages == []


async def test_twilio_rate_limit_carries_retry_after(mock):
    mock.fail_next(1, status=429, retry_after=7)
    gw = twilio_gateway(mock)
    try:
        with pytest.raises(SmsSendError) as exc:
            await gw.send(PHONE, "x")
        result = await gw.send(PHONE, "x")
    finally:
        await gw.aclose()
    assert exc.value.permanent is False
    assert exc.value.code == 20429 and exc.value.retry_after == 7
    assert result.provider_id == mock.messages[0]["sid"]


@pytest.mark.parametrize(
    ("code", "status", "permanent"),
    [(30006, 400, True), (21999, 400, True), (20500, 503, False), (20429, 400, False)],
)
async def test_twilio_programmed_number_faults(mock, code, status, permanent):
    mock.fail_number(PHONE, code, status=status)
    gw = twilio_gateway(mock)
    try:
        with pytest.raises(SmsSendError) as exc:
            await gw.send(PHONE, "x")
        assert (await gw.send("+4520999999", "other numbers still work")).provider_id
    finally:
        await gw.aclose()
    assert exc.value.permanent is permanent and exc.value.code == code


async def test_twilio_slow_provider_times_out_as_transient(mock):
    mock.delay_s = 2.0
    gw = twilio_gateway(mock, timeout_s=0.2)
    try:
        with pytest.raises(SmsSendError) as exc:
            await gw.send(PHONE, "x")
    finally:
        await gw.aclose()
    assert exc.value.permanent is False and exc.value.code is None
    assert "0.2 s" in str(exc.value)


async def test_twilio_unreachable_provider_is_transient():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    gw = TwilioGateway(
        "AC" + "0" * 32, "t", from_number=TEST_FROM, api_base_url=f"http://127.0.0.1:{port}"
    )
    try:
        with pytest.raises(SmsSendError) as exc:
            await gw.send(PHONE, "x")
    finally:
        await gw.aclose()
    assert exc.value.permanent is False and exc.value.code is None


def test_twilio_needs_a_sender():
    with pytest.raises(ValueError, match="messaging_service_sid or from_number"):
        TwilioGateway("AC" + "0" * 32, "t")


@pytest.mark.parametrize(
    ("status", "code", "permanent", "expected_code"),
    [
        (502, 502, False, None),  # no JSON body: the SDK puts the HTTP status in `code`
        (404, 404, True, None),
        (400, 21211, True, 21211),
        (429, 429, False, None),
        (500, 20500, False, 20500),
    ],
)
def test_classify(status, code, permanent, expected_code):
    err = classify(TwilioRestException(status, "https://api.twilio.com/x", "boom", code, "POST"))
    assert err.permanent is permanent and err.code == expected_code


def test_retry_after_header_forms():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("1.5") == 1.5
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("inf") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past


# -- choosing a gateway ----------------------------------------------------------------------


async def test_factory_builds_each_gateway_from_settings(mock):
    from beredskab.settings import Settings

    def settings(**values: object) -> Settings:
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    assert isinstance(build_gateway(settings(sms_gateway="fake")), FakeGateway)
    console = build_gateway(settings(sms_gateway="console"))
    assert isinstance(console, ConsoleGateway)
    gw = build_gateway(
        settings(
            sms_gateway="twilio",
            twilio_account_sid=mock.account_sid,
            twilio_auth_token=mock.auth_token,
            twilio_from=TEST_FROM,
            twilio_api_base_url=mock.base_url,
        )
    )
    try:
        assert isinstance(gw, TwilioGateway)
        await gw.send(PHONE, "via settings")
    finally:
        await gw.aclose()
    assert [m["Body"] for m in mock.messages] == ["via settings"]


# -- webhook signatures ----------------------------------------------------------------------


def test_sign_agrees_with_twilios_validator():
    params = {"From": "+4550100001", "Body": "OK 4821", "MessageSid": "SM" + "1" * 32}
    url = "https://ddh.example/webhooks/twilio/sms"
    signature = sign(url, params, "tok")
    assert RequestValidator("tok").validate(url, params, signature)
    assert not RequestValidator("other").validate(url, params, signature)
    assert not RequestValidator("tok").validate(url, {**params, "Body": "NEJ"}, signature)
