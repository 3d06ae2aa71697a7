"""The Danish words the pages show for the service's states (DOMAIN.md's terms)."""

from __future__ import annotations

ACTIVATION_STATUS = {
    "requested": "Anmodet",
    "active": "Aktiv",
    "stood_down": "Afsluttet",
    "rejected": "Afvist",
    "cancelled": "Annulleret",
}
STATUS_TONE = {
    "requested": "warn",
    "active": "ok",
    "stood_down": "info",
    "rejected": "bad",
    "cancelled": "info",
}
ROLE = {
    "crisis_leader": "Kriseleder",
    "log_keeper": "Logfører",
    "process_lead": "Procesansvarlig",
    "staffing_lead": "Bemandingsansvarlig",
}
CALLOUT_STATE = {
    "calling": "Kalder op",
    "filled": "Besat",
    "unfilled": "Ikke besat",
    "closed": "Lukket",
}
DELIVERY = {
    "pending": "I kø",
    "accepted": "I kø",
    "queued": "I kø",
    "sending": "Sendes",
    "sent": "Sendt",
    "delivered": "Modtaget",
    "failed": "Ikke leveret",
    "undelivered": "Ikke leveret",
    None: "Ukendt",
}
CALLOUT_TONE = {"calling": "warn", "filled": "ok", "unfilled": "bad", "closed": "info"}
DELIVERY_TONE = {"delivered": "ok", "failed": "bad", "undelivered": "bad"}
PAGE_PURPOSE = {
    "endorse": "Godkendelse af aktiveringen",
    "role": "Rolle",
    "shift_approve": "Godkendelse af vagt",
    "volunteer": "Frivillige til vagt",
}
CHANNEL = {"phone": "Telefon", "chat": "Chat"}
ROLE_NAME_OF_TOKEN = {
    "authority": "Myndighed",
    "steering": "Styregruppen",
    "crisis_staff": "Krisestaben",
    "finance": "Økonomi",
    "admin": "Administrator",
}


def word(table: dict, key: object) -> str:
    """The Danish word for `key`, or the key itself if the table lacks it (never blank)."""
    return table.get(key, str(key))  # type: ignore[arg-type]


def actor(by: str | None) -> str:
    """Who did something, as the services write it ("Frida Bak (authority)"), with the role in
    Danish ("Frida Bak (myndighed)")."""
    if not by:
        return ""
    name, _, rest = by.rpartition(" (")
    role = rest.removesuffix(")")
    if name and rest.endswith(")") and role in ROLE_NAME_OF_TOKEN:
        return f"{name} ({ROLE_NAME_OF_TOKEN[role].lower()})"
    return by
