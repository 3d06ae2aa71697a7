"""Pick the SMS gateway named by settings (the one place that knows all adapters)."""

from __future__ import annotations

from beredskab.settings import Settings, SmsGatewayKind
from notifications.gateway import SmsGateway


def build_gateway(settings: Settings) -> SmsGateway:
    if settings.sms_gateway is SmsGatewayKind.twilio:
        from notifications.twilio_gateway import TwilioGateway

        return TwilioGateway(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            messaging_service_sid=settings.twilio_messaging_service_sid,
            from_number=settings.twilio_from,
            api_base_url=settings.twilio_api_base_url,
        )
    if settings.sms_gateway is SmsGatewayKind.console:
        from notifications.console_gateway import ConsoleGateway

        return ConsoleGateway()
    from notifications.fake_gateway import FakeGateway

    return FakeGateway()
