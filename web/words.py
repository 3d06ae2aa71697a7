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
SHIFT_STATE = {
    "awaiting_approval": "Afventer godkendelse",
    "recruiting": "Søger agenter",
    "full": "Fuldt besat",
    "rejected": "Afvist",
    "cancelled": "Aflyst",
}
SHIFT_TONE = {
    "awaiting_approval": "warn",
    "recruiting": "info",
    "full": "ok",
    "rejected": "bad",
    "cancelled": "bad",
}
ALLOCATION_STATE = {
    "active": "Har pladser",
    "released": "Afmeldt (ansvarlig, til en anden overtager)",
    "withdrawn": "Afmeldt",
    "cancelled": "Vagten er aflyst",
}
TASK_STATE = {"open": "Åben", "done": "Udført", "not_applicable": "Ikke relevant"}
TASK_TONE = {"open": "warn", "done": "ok", "not_applicable": "info"}
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
