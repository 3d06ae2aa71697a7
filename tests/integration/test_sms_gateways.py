"""One contract for every SMS gateway: fake, console, and Twilio (real SDK against the mock)."""

from __future__ import annotations

import io

import pytest

from notifications.console_gateway import ConsoleGateway
from notifications.fake_gateway import FakeGateway
from notifications.gateway import SmsSendError
from notifications.twilio_gateway import TwilioGateway
from tests.twilio_mock import TwilioMock, sign

INVALID = "+15005550001"  # Twilio's magic number for 21211 "invalid To"
UNSUBSCRIBED = "+15005550004"


@pytest.fixture
def mock():
    with TwilioMock() as m:
        yield m


@pytest.fixture(params=["fake", "console", "twilio"])
async def gateway(request, mock):
    if request.param == "twilio":
        gw = TwilioGateway(
            mock.account_sid,
            mock.auth_token,
            from_number="+4570000000",
            api_base_url=mock.base_url,
            timeout_s=2,
        )
    else:
        cls = FakeGateway if request.param == "fake" else ConsoleGateway
        gw = cls() if cls is FakeGateway else cls(stream=io.StringIO())
        gw.fail_numbers[INVALID] = SmsSendError("invalid", permanent=True, code=21211)
        gw.fail_numbers[UNSUBSCRIBED] = SmsSendError("stop", permanent=True, code=21610)
    yield gw
    await gw.aclose()


async def test_send_returns_a_provider_id(gateway):
    first = await gateway.send("+4520123456", "Hej æøå", callback_url="https://x/status")
    second = await gateway.send("+4520123457", "Hej igen")
    assert first.provider_id and second.provider_id and first.provider_id != second.provider_id


@pytest.mark.parametrize(("to", "code"), [(INVALID, 21211), (UNSUBSCRIBED, 21610)])
async def test_invalid_or_unsubscribed_number_fails_for_good(gateway, to, code):
    with pytest.raises(SmsSendError) as exc:
        await gateway.send(to, "x")
    assert exc.value.permanent and exc.value.code == code


async def test_twilio_request_carries_to_body_sender_callback_and_validity(mock):
    gw = TwilioGateway(
        mock.account_sid,
        mock.auth_token,
        messaging_service_sid="MG" + "2" * 32,
        api_base_url=mock.base_url,
    )
    try:
        result = await gw.send("+4520123456", "Svar OK 4821", callback_url="https://ddh.example/s")
    finally:
        await gw.aclose()
    [msg] = mock.messages
    assert result.provider_id == msg["sid"] and result.status == "queued"
    assert msg["To"] == "+4520123456" and msg["Body"] == "Svar OK 4821"
    assert msg["MessagingServiceSid"] == "MG" + "2" * 32 and "From" not in msg
    assert msg["StatusCallback"] == "https://ddh.example/s" and msg["ValidityPeriod"] == "600"


@pytest.mark.parametrize("status", [500, 503, 429])
async def test_twilio_server_errors_and_rate_limits_are_transient(mock, status):
    mock.fail_next(1, status=status)
    gw = TwilioGateway(
        mock.account_sid, mock.auth_token, from_number="+4570000000", api_base_url=mock.base_url
    )
    try:
        with pytest.raises(SmsSendError) as exc:
            await gw.send("+4520123456", "x")
        assert exc.value.permanent is False
        assert (await gw.send("+4520123456", "x")).provider_id  # and the next one goes through
    finally:
        await gw.aclose()


async def test_twilio_not_sms_capable_and_wrong_credentials(mock):
    gw = TwilioGateway(
        mock.account_sid, "wrong-token", from_number="+4570000000", api_base_url=mock.base_url
    )
    try:
        with pytest.raises(SmsSendError) as exc:
            await gw.send("+4520123456", "x")
        assert exc.value.permanent  # 401 will not heal by retrying the same request
    finally:
        await gw.aclose()


async def test_twilio_slow_provider_times_out_as_transient(mock):
    mock.delay_s = 1.0
    gw = TwilioGateway(
        mock.account_sid,
        mock.auth_token,
        from_number="+4570000000",
        api_base_url=mock.base_url,
        timeout_s=0.2,
    )
    try:
        with pytest.raises(SmsSendError) as exc:
            await gw.send("+4520123456", "x")
        assert exc.value.permanent is False
    finally:
        await gw.aclose()


def test_sign_matches_twilios_validator():
    from twilio.request_validator import RequestValidator

    params = {"From": "+4550100001", "Body": "OK 4821", "MessageSid": "SM1"}
    url = "https://ddh.example/webhooks/twilio/sms"
    signature = sign(url, params, "tok")
    assert RequestValidator("tok").validate(url, params, signature)
    assert not RequestValidator("other").validate(url, params, signature)
