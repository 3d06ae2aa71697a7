"""Every playbook in playbooks/ parses, renders every message within two SMS segments, and an
invalid playbook names each problem with its path."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from beredskab.playbook import MESSAGES, PlaybookError, load_playbook
from notifications.segments import segment_count

PLAYBOOKS = sorted((Path(__file__).resolve().parents[2] / "playbooks").glob("*.yaml"))
REALISTIC = {
    "ref": "DDH-2026-0142",
    "authority": "Region Nordjylland",
    "title": "Drikkevandet i Aalborg Øst er forurenet",
    "code": "4821",
    "minutes": 30,
    "by": "Vibeke Holm (styregruppen)",
    "role_name": "bemandingsansvarlig",
    "pass_no": 2,
    "codes": "4821 / 5930 / 6120",
}


@pytest.mark.parametrize("path", PLAYBOOKS, ids=lambda p: p.name)
@pytest.mark.parametrize("exercise", [False, True])
def test_every_message_renders_within_two_segments(path, exercise):
    playbook = load_playbook(path).playbook
    for key in MESSAGES:
        text = playbook.render(key, exercise=exercise, **REALISTIC)
        assert segment_count(text) <= 2, (key, len(text), text)
        assert ("ØVELSE" in text) == exercise


def test_required_danish_phrases():
    playbook = load_playbook(PLAYBOOKS[0]).playbook
    assert "rollen er allerede besat" in playbook.render("role_already_filled", **REALISTIC).lower()
    assert "rolle bemandingsansvarlig er ikke besat" in playbook.render(
        "role_unfilled", **REALISTIC
    )
    assert "svar OK 4821" in playbook.render("endorse_request", **REALISTIC)
    assert all(spec.action_card for spec in playbook.roles.values())


def _broken(tmp_path, mutate) -> list[str]:
    data = yaml.safe_load(PLAYBOOKS[0].read_text())
    mutate(data)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(PlaybookError) as exc:
        load_playbook(path)
    return exc.value.problems


def test_problems_name_their_path(tmp_path):
    problems = _broken(
        tmp_path,
        lambda d: (
            d["roles"].pop("log_keeper"),
            d["roles"]["process_lead"].__setitem__("ack_timeout_minutes", -1),
            d["messages"].__setitem__("role_page", "Svar {svar}"),
            d.__setitem__("surprise", 1),
        ),
    )
    text = "\n".join(problems)
    assert "roles.process_lead.ack_timeout_minutes" in text
    assert "surprise" in text
    problems = _broken(tmp_path, lambda d: d["messages"].__setitem__("role_page", "Svar {svar}"))
    assert any("messages.role_page" in p and "svar" in p for p in problems)
    problems = _broken(tmp_path, lambda d: d["roles"].pop("log_keeper"))
    assert any("log_keeper" in p for p in problems)


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nroles: [\n")
    with pytest.raises(PlaybookError) as exc:
        load_playbook(path)
    assert "line" in exc.value.problems[0]


def test_content_hash_follows_the_file(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_bytes(PLAYBOOKS[0].read_bytes())
    first = load_playbook(path).content_hash
    path.write_bytes(PLAYBOOKS[0].read_bytes() + b"\n# changed\n")
    assert load_playbook(path).content_hash != first
