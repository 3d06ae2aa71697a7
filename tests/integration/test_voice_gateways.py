"""The call port of each gateway: Twilio's Calls API through the SDK (machine detection, the
status callback, errors mapped as for SMS), the console's printout, the lookup after a crash."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from beredskab.metadata import utcnow
from notifications.console_gateway import ConsoleGateway
from notifications.gateway import SmsSendError
from notifications.twilio_gateway import TwilioGateway
from tests.twilio_mock import TwilioMock

PHONE = "+4520123456"
URL = "https://beredskab.example/webhooks/twilio/voice/7/4821"


@pytest.fixture
def mock():
    with TwilioMock() as m:
        yield m


@pytest.fixture
async def gateway(mock):
    gw = TwilioGateway(
        mock.account_sid,
        mock.auth_token,
        messaging_service_sid="MG" + "3" * 32,  # SMS through a service; calls need a number
        voice_from="+4570000001",
        api_base_url=mock.base_url,
    )
    yield gw
    await gw.aclose()


async def test_a_call_goes_through_the_sdk_with_machine_detection_and_its_callback(mock, gateway):
    result = await gateway.call(PHONE, url=URL, status_callback=URL + "/status", text="Hej")
    [call] = mock.voice_calls
    assert result.provider_id == call["sid"] and call["sid"].startswith("CA")
    assert (call["To"], call["From"], call["Url"]) == (PHONE, "+4570000001", URL)
    assert call["StatusCallback"] == URL + "/status"
    assert call["MachineDetection"] == "Enable"
    assert call["form"]["StatusCallbackEvent"] == "completed"


async def test_an_invalid_number_fails_the_call_for_good_and_a_500_for_now(mock, gateway):
    with pytest.raises(SmsSendError) as bad:
        await gateway.call("+15005550001", url=URL, status_callback=URL, text="Hej")
    assert bad.value.permanent and bad.value.code == 21211
    mock.fail_next(1, status=503)
    with pytest.raises(SmsSendError) as later:
        await gateway.call(PHONE, url=URL, status_callback=URL, text="Hej")
    assert not later.value.permanent


async def test_without_a_caller_number_no_call_is_tried(mock):
    gw = TwilioGateway(
        mock.account_sid,
        mock.auth_token,
        messaging_service_sid="MG" + "3" * 32,
        api_base_url=mock.base_url,
    )
    with pytest.raises(SmsSendError) as exc:
        await gw.call(PHONE, url=URL, status_callback=URL, text="Hej")
    assert exc.value.permanent and mock.requests == 0
    await gw.aclose()


async def test_a_call_placed_before_a_crash_is_found_again(mock, gateway):
    before = utcnow() - timedelta(seconds=5)
    assert await gateway.placed_since(PHONE, before) is None
    placed = await gateway.call(PHONE, url=URL, status_callback=URL, text="Hej")
    found = await gateway.placed_since(PHONE, before)
    assert found is not None and found.provider_id == placed.provider_id
    assert await gateway.placed_since("+4520999999", before) is None
    assert await gateway.placed_since(PHONE, utcnow() + timedelta(minutes=1)) is None


async def test_the_console_prints_the_call_and_how_to_press_a_key():
    out = io.StringIO()
    gw = ConsoleGateway(stream=out)
    result = await gw.call(PHONE, url=URL, status_callback=URL, text="Du kaldes som kriseleder.")
    printed = out.getvalue()
    assert f"OPKALD til {PHONE}" in printed and result.provider_id in printed
    assert "Du kaldes som kriseleder." in printed
    assert '/dev/voice/press {"page_code": "4821", "digit": "1"}' in printed
    assert [c.to for c in gw.calls] == [PHONE]
