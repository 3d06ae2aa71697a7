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
CALL = {  # an open page's phone call (the board's "Opringning" column)
    "queued": "I kø",
    "placed": "Ringer",
    "accepted": "Svarede ja",
    "declined": "Svarede nej",
    "no_key": "Ingen tast",
    "machine": "Telefonsvarer",
    "busy": "Optaget",
    "no_answer": "Intet svar",
    "failed": "Mislykket",
    None: "–",
}
CALL_TONE = {"accepted": "ok", "machine": "bad", "busy": "bad", "no_answer": "bad", "failed": "bad"}
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

# the log's kinds: the log keeper's own (the form's choices, in this order), then the entries
# the service writes itself
LOG_KIND_MANUAL = {
    "information": "Information",
    "decision": "Beslutning",
    "action": "Handling",
    "omission": "Undladelse",
    "note": "Notat",
}
LOG_KIND = {
    **LOG_KIND_MANUAL,
    "requested": "Anmodning",
    "endorsement_requested": "Godkendelse anmodet",
    "endorsement_overdue": "Godkendelse forsinket",
    "endorsement_declined": "Godkendelse afvist",
    "endorsed": "Godkendt",
    "page_sent": "Opkald sendt",
    "page_declined": "Opkald afvist",
    "page_expired": "Opkald udløbet",
    "page_failed": "Opkald ikke leveret",
    "page_skipped": "Sprunget over (nummer)",
    "call_placed": "Ringet op",
    "call_answered": "Opringning besvaret",
    "call_unanswered": "Opringning ubesvaret",
    "role_filled": "Rolle besat",
    "role_unfilled": "Rolle ikke besat",
    "role_no_candidates": "Ingen at kalde op",
    "role_handover": "Rolle overdraget",
    "role_time_corrected": "Rolletid rettet",
    "action_card": "Handlingskort",
    "delegate_added": "Logfører tilføjet",
    "delegate_removed": "Logfører fjernet",
    "evaluation": "Evaluering",
    "shift_requested": "Vagt anmodet",
    "shift_approval_requested": "Vagt til godkendelse",
    "shift_approval_overdue": "Vagtgodkendelse forsinket",
    "shift_approval_declined": "Vagtgodkendelse afvist",
    "shift_approved": "Vagt godkendt",
    "shift_rejected": "Vagt afvist",
    "shift_full": "Vagt fuldt bemandet",
    "shift_over": "Vagt slut",
    "shift_cancelled": "Vagt aflyst",
    "shift_ended_early": "Vagt afbrudt",
    "shift_remind_24h": "Vagtpåmindelse",
    "shift_check_2h": "Vagtkontrol",
    "shift_check_1h": "Vagtkontrol",
    "shift_time_reported": "Vagttid indberettet",
    "volunteers_paged": "Kommuner kaldt op",
    "volunteer_allocated": "Frivillige tildelt",
    "volunteer_confirmed": "Frivillige bekræftet",
    "volunteer_declined": "Kommune takkede nej",
    "volunteer_too_late": "Svar for sent",
    "volunteer_withdrawn": "Frivillige afmeldt",
    "volunteer_secondary_paged": "Sekundær kontakt kaldt op",
    "volunteer_no_secondary": "Ingen sekundær kontakt",
    "expense_added": "Udgift registreret",
    "expense_changed": "Udgift ændret",
    "cost_statement_final": "Opgørelse endelig",
    "cost_adjustment": "Opgørelse reguleret",
    "stood_down": "Afsluttet",
    "rejected": "Afvist",
    "cancelled": "Annulleret",
    "archived": "Arkiveret",
}


def log_kind(kind: str) -> str:
    """A log entry's kind in Danish; a kind this table lacks is still never shown in English."""
    return LOG_KIND.get(kind, "Automatisk")


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
    "unverified_phone": "{person} har et nummer, der endnu ikke er bekræftet",
    "unreachable_phone": "{person} kan ikke nås på sit nummer",
}
