"""The four crisis-staff roles: one vocabulary for the directory, the playbook and the rules."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """The four crisis-staff roles."""

    crisis_leader = "crisis_leader"
    log_keeper = "log_keeper"
    process_lead = "process_lead"
    staffing_lead = "staffing_lead"


# Deputies needed besides the primary (docs/domain.md#roles: required for three roles; one
# for the leader is our choice so that a single absence never leaves the staff without a leader).
REQUIRED_DEPUTIES: dict[Role, int] = {
    Role.crisis_leader: 1,
    Role.log_keeper: 2,
    Role.process_lead: 2,
    Role.staffing_lead: 2,
}
