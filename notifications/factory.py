"""Pick the SMS gateway named by settings (the one place that knows all adapters)."""

from __future__ import annotations

from beredskab.settings import Settings, SmsGatewayKind
from notifications.gateway import SmsGateway


def build_gateway(settings: Settings) -> SmsGateway:
    kind = SmsGatewayKind(settings.sms_gateway)  # also accepts a plain string
    if kind is SmsGatewayKind.twilio:
        # imported here so the console and fake gateways work without the twilio SDK loaded
        from notifications.twilio_gateway import TwilioGateway

        return TwilioGateway(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            messaging_service_sid=settings.twilio_messaging_service_sid,
            from_number=settings.twilio_from,
            api_base_url=settings.twilio_api_base_url,
            voice_from=settings.twilio_voice_from,
        )
    if kind is SmsGatewayKind.console:
        from notifications.console_gateway import ConsoleGateway

        return ConsoleGateway()
    from notifications.fake_gateway import FakeGateway

    return FakeGateway()
