"""Which status-board actions a person is offered: by the activation's status, the person's
roles, and (for the crisis staff) whether they are this activation's crisis leader."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from beredskab.activations.models import ActivationStatus
from beredskab.activations.schemas import ActivationBoard, PersonRef, RoleStatus
from beredskab.auth.models import TokenRole as R
from beredskab.flows.board import allowed_actions

SINCE = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)


def _board(status: ActivationStatus, leader: str | None = "p001") -> ActivationBoard:
    person = PersonRef(id=leader, name="Leder") if leader else None
    role = RoleStatus(
        role="crisis_leader", name="Kriseleder", state="filled", person=person, since=SINCE
    )
    return ActivationBoard.model_construct(status=status, roles=[role])


def _offered(board: ActivationBoard, roles: set[R], person_id: str = "p999") -> set[str]:
    return {k for k, v in allowed_actions(board, frozenset(roles), person_id).items() if v}


def test_a_requested_activation_offers_steering_its_decision_and_the_authority_cancel():
    requested = _board(ActivationStatus.requested, leader=None)
    assert _offered(requested, {R.steering}) == {"endorse", "reject"}
    assert _offered(requested, {R.authority}) == {"cancel"}
    assert _offered(requested, {R.admin, R.crisis_staff, R.finance}) == set()


def test_an_active_activation_offers_stand_down_to_steering_and_its_own_crisis_leader():
    active = _board(ActivationStatus.active, leader="p001")
    assert _offered(active, {R.steering}) == {"stand_down", "handover"}
    assert _offered(active, {R.admin}) == {"handover"}
    assert _offered(active, {R.crisis_staff}, "p001") == {"stand_down", "handover", "delegate"}
    assert _offered(active, {R.crisis_staff}, "p002") == set()  # not this one's leader
    assert _offered(active, {R.authority}, "p001") == set()  # the leader's id, not the role


@pytest.mark.parametrize(
    "status", [ActivationStatus.stood_down, ActivationStatus.rejected, ActivationStatus.cancelled]
)
def test_an_ended_activation_offers_only_its_leader_naming_log_keepers_until_archived(status):
    everyone = {R.steering, R.admin, R.authority, R.crisis_staff}
    assert _offered(_board(status), everyone, "p001") == {"delegate"}
    assert _offered(_board(status), everyone, "p002") == set()
    archived = _board(status).model_copy(update={"archived_at": SINCE})
    assert _offered(archived, everyone, "p001") == set()
