"""Every text the playbook must hold (SMS, spoken calls) and the placeholders each may use.

Pure data; `beredskab.playbook` validates a playbook's texts against it."""

from __future__ import annotations

# Each required SMS text and the placeholders it may use.
MESSAGES: dict[str, frozenset[str]] = {
    k: frozenset(v)
    for k, v in {
        "endorse_request": {"ref", "authority", "title", "code"},
        "endorse_reminder": {"ref", "authority", "title", "code", "minutes"},
        "endorse_overdue_leader": {"ref", "authority", "title", "minutes"},
        "endorsed_notice": {"ref", "by"},
        "role_page": {"ref", "title", "role_name", "code"},
        "role_ack_confirm": {"ref", "role_name"},
        "role_already_filled": {"ref", "role_name"},
        "role_decline_confirm": {"ref", "role_name"},
        "role_unfilled": {"ref", "role_name", "pass_no"},
        "role_unfilled_final": {"ref", "role_name"},
        "role_relieved": {"ref", "role_name"},
        "role_assigned": {"ref", "role_name"},
        "page_closed": {"ref"},
        # phone calls (spoken): a role page's and an endorsement page's, no valid key, goodbye
        "role_call": {"ref", "title", "role_name", "code"},
        "endorse_call": {"ref", "authority", "title", "code"},
        "call_not_heard": set(),
        "call_goodbye": set(),
        # the web console's sign-in code (auth.signin)
        "login_code": {"code", "minutes"},
        "stood_down": {"ref", "title"},
        # the requesting authority's contact person: told what happens, whom to call
        "authority_received": {"ref", "title"},
        "authority_endorsed": {"ref", "since"},
        "authority_leader": {"ref", "leader", "phone"},
        "authority_rejected": {"ref", "reason"},
        "authority_cancelled": {"ref"},
        "authority_stood_down": {"ref"},
        "reply_unknown_sender": set(),
        "reply_no_open_page": set(),
        "reply_garbled": {"code"},
        "reply_need_code": {"codes"},
        "reply_unknown_code": {"code", "codes"},
        "reply_unknown_code_none": {"code"},
        "reply_endorse_ack": {"ref"},
        "reply_already_endorsed": {"ref"},
        "reply_help": set(),
        "reply_rate_limited": set(),
        "reply_error": set(),
        "reply_phone_verified": set(),
        # shifts: steering approval of out-of-hours shifts
        "shift_approve_request": {"ref", "shift", "agents", "code", "authority", "title"},
        "shift_approved_notice": {"ref", "shift", "by"},
        "reply_shift_approve_ack": {"ref", "shift"},
        "reply_shift_approve_declined": {"ref", "shift"},
        "reply_shift_closed": {"ref", "shift", "status"},
        # shifts: the volunteer municipalities
        "volunteer_page": {"ref", "shift", "remaining", "code", "title"},
        "volunteer_page_update": {"ref", "shift", "remaining", "code", "title"},
        "volunteer_thanks": {"ref", "shift", "agents", "municipality", "code"},
        "volunteer_partial": {"ref", "shift", "agents", "municipality", "code"},
        "volunteer_full": {"ref", "shift"},
        "volunteer_covered": {"ref", "shift"},
        "volunteer_declined": {"ref", "shift", "municipality"},
        "volunteer_already": {"ref", "shift", "agents", "municipality", "code"},
        "volunteer_confirmed": {"ref", "shift", "agents", "municipality"},
        "volunteer_confirm_above_held": {
            "ref",
            "shift",
            "agents",
            "municipality",
            "code",
            "remaining",
        },
        "volunteer_confirm_above_held_full": {"ref", "shift", "agents", "municipality", "code"},
        "volunteer_reminder": {"ref", "shift", "agents", "municipality", "code"},
        "volunteer_withdrawn": {"ref", "shift", "municipality"},
        "volunteer_taken_over": {"ref", "shift"},
        "shift_cancelled": {"ref", "shift"},
        "shift_ended_early": {"ref", "shift"},
        "reply_volunteer_garbled": {"code"},
        "reply_nothing_to_confirm": set(),
        # shifts: the staffing lead's call-outs
        "staffing_shift_full": {"ref", "shift", "agents", "municipalities"},
        "staffing_shift_short": {"ref", "shift", "missing", "agents"},
        "staffing_unconfirmed": {"ref", "shift", "municipalities"},
        "staffing_withdrawn": {"ref", "shift", "municipality", "agents", "missing"},
        "staffing_withdrawn_nobody_left": {"ref", "shift", "municipality", "agents", "missing"},
        "staffing_reduced": {"ref", "shift", "municipality", "agents", "missing"},
        "staffing_reduced_nobody_left": {"ref", "shift", "municipality", "agents", "missing"},
        "staffing_shift_cancelled": {"ref", "shift", "by"},
        "staffing_shift_rejected": {"ref", "shift", "reason"},
        "staffing_no_volunteers": {"ref", "shift", "missing"},
        "staffing_approval_overdue": {"ref", "shift", "minutes"},
        # call-out drills (kaldeøvelser): the page must start with ØVELSE
        "drill_page": {"code", "group"},
        "drill_call": {"group"},  # spoken: the call to those who have not answered after N min.
        "reply_drill_thanks": set(),
    }.items()
}
