"""The Danish words the pages show for the service's states (DOMAIN.md's terms)."""

from __future__ import annotations

from beredskab.costs.export import CATEGORY

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
    "queued": "I kø",
    "sending": "Sendes",
    "sent": "Sendt",
    "delivered": "Modtaget",
    "failed": "Ikke leveret",
    "undelivered": "Ikke leveret",
    None: "Ukendt",
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


STATEMENT_STATUS = {"draft": "Kladde", "final": "Endelig"}
STATEMENT_TONE = {"draft": "warn", "final": "ok"}
COST_CATEGORY = CATEGORY  # the words the finance report's exports use
OPENING = {True: "I åbningstid", False: "Uden for åbningstid", None: "–"}
GAP = {  # a readiness gap, after its subject (a role, "Styregruppen", an organisation)
    "no_primary": "har ingen primær",
    "too_few_deputies": "har for få stedfortrædere (mindst {need})",
    "inactive_on_roster": "{person} står på vagtlisten, men er deaktiveret",
    "no_steering_group": "er tom",
    "inactive_in_steering_group": "{person} er deaktiveret",
    "no_primary_contact": "har ingen primær kontaktperson",
    "no_secondary_contact": "har ingen sekundær kontaktperson",
    "inactive_contact": "kontaktpersonen {person} er deaktiveret",
}
