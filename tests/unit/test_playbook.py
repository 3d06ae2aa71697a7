"""Every playbook in playbooks/ parses and renders every message within two SMS segments; an
invalid playbook names each of its problems with the path to it, all at once."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest
import yaml

from beredskab.playbook import MESSAGES, placeholders
from beredskab.playbook_file import PlaybookError, load_playbook
from beredskab.roles import Role
from notifications.segments import encoding_of, segment_count

PLAYBOOKS = sorted((Path(__file__).resolve().parents[2] / "playbooks").glob("*.yaml"))
DEFAULT = next(p for p in PLAYBOOKS if p.name == "ddh-beredskab.yaml")

# Realistic and on the long side: a national authority, a long name, four open codes.
REALISTIC = {
    "ref": "DDH-2026-0142",
    "authority": "Styrelsen for Forsyningssikkerhed",
    "title": "Drikkevandet i Aalborg Øst er forurenet, kog vandet",
    "code": "4821",
    "minutes": 30,
    "by": "Vibeke Holm-Christensen (styregruppen)",
    "role_name": "bemandingsansvarlig",
    "pass_no": 2,
    "codes": "4821 / 5930 / 6120 / 7311",
    "shift": "lør 22.11 22:00-søn 23.11 06:00",
    "agents": 12,
    "remaining": 12,
    "missing": 4,
    "status": "godkendt og dækket",
    "municipality": "Ringkøbing-Skjern Kommune",
    "municipalities": "Ringkøbing-Skjern Kommune 4, Frederiksberg Kommune 4, Odder Kommune 4",
    "reason": "Ingen budget til natvagter; genovervej i morgen kl 8",
    "since": "lør 22. nov kl. 22.05",
    "leader": "Vibeke Holm-Christensen",
    "phone": "+45 20 12 34 56",
    "group": "kommunernes kontaktpersoner",
}
FREE_TEXT = ("{title}", "{authority}", "{municipalities}", "{reason}")


def test_the_playbooks_folder_is_not_empty():
    assert DEFAULT in PLAYBOOKS


@pytest.mark.parametrize("path", PLAYBOOKS, ids=lambda p: p.name)
@pytest.mark.parametrize("exercise", [False, True], ids=["live", "exercise"])
def test_every_message_renders_within_two_gsm7_segments(path, exercise):
    playbook = load_playbook(path).playbook
    for key in MESSAGES:
        text = playbook.render(key, exercise=exercise, **REALISTIC)
        assert encoding_of(text) == "GSM-7", (key, text)
        assert segment_count(text) <= 2, (key, len(text), text)
        if key == "drill_page":  # a drill page is never real: ØVELSE first, always
            assert text.startswith("ØVELSE"), text
        else:
            assert text.startswith("ØVELSE: ") == exercise


@pytest.mark.parametrize("path", PLAYBOOKS, ids=lambda p: p.name)
def test_reply_instruction_comes_before_free_text(path):
    # The dispatcher cuts an over-long SMS at the end; a long title must not cut the code.
    for key, template in load_playbook(path).playbook.messages.items():
        if "{code}" in template:
            early = [f for f in FREE_TEXT if -1 < template.find(f) < template.rindex("{code}")]
            assert not early, (key, early)


def test_required_danish_phrases():
    playbook = load_playbook(DEFAULT).playbook

    def text(key: str) -> str:
        return playbook.render(key, **REALISTIC)

    assert "svar OK 4821" in text("endorse_request")
    assert "svar OK 4821" in text("endorse_reminder") and "30 min" in text("endorse_reminder")
    assert "svar ok 4821 eller nej 4821" in text("role_page").lower()
    assert "svar ok 4821 eller nej 4821" in text("reply_garbled").lower()
    assert "rollen er allerede besat" in text("role_already_filled")
    assert "rolle bemandingsansvarlig er ikke besat" in text("role_unfilled")
    assert "stedfortræder" in text("role_decline_confirm")
    assert "afløst" in text("role_relieved")
    assert "afsluttet" in text("stood_down")
    assert "Vibeke Holm-Christensen" in text("endorsed_notice")
    assert "4821 / 5930 / 6120 / 7311" in text("reply_need_code")


def test_roles_are_the_four_of_the_crisis_staff_with_action_cards():
    playbook = load_playbook(DEFAULT).playbook
    assert set(playbook.roles) == set(Role)
    assert {r: s.name for r, s in playbook.roles.items()} == {
        Role.crisis_leader: "kriseleder",
        Role.log_keeper: "logfører",
        Role.process_lead: "procesansvarlig",
        Role.staffing_lead: "bemandingsansvarlig",
    }
    for spec in playbook.roles.values():
        assert 4 <= len(spec.action_card) <= 10
        assert 1 <= spec.ack_timeout_minutes <= 240


def test_christmas_eve_and_new_years_eve_are_closed():
    overrides = {o.date: o for o in load_playbook(DEFAULT).playbook.calendar_overrides}
    for year in (2026, 2027):
        for day in (24, 31):
            assert overrides[date(year, 12, day)].closed


def test_render_refuses_an_unknown_key_and_a_missing_value():
    playbook = load_playbook(DEFAULT).playbook
    with pytest.raises(KeyError, match="no_such_message"):
        playbook.render("no_such_message")
    with pytest.raises(KeyError, match="code"):
        playbook.render("role_page", ref="DDH-2026-0142", title="x", role_name="logfører")
    assert playbook.render("reply_help") == playbook.messages["reply_help"]
    assert placeholders(playbook.messages["role_page"]) == MESSAGES["role_page"]


# --- invalid playbooks -------------------------------------------------------------------------


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _problems(tmp_path: Path, mutate) -> list[str]:
    data = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))
    mutate(data)
    with pytest.raises(PlaybookError) as exc:
        load_playbook(_write(tmp_path, data))
    return exc.value.problems


def _set(*path_and_value):
    *path, key, value = path_and_value

    def mutate(data):
        for part in path:
            data = data[part]
        data[key] = value

    return mutate


def _drop(*path_and_key):
    *path, key = path_and_key

    def mutate(data):
        for part in path:
            data = data[part]
        del data[key]

    return mutate


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        pytest.param(_drop("roles", "log_keeper"), "roles: missing log_keeper", id="missing role"),
        pytest.param(
            _set("roles", "press_officer", {"name": "x", "description": "y", "action_card": []}),
            "roles.press_officer: Input should be 'crisis_leader'",
            id="unknown role",
        ),
        pytest.param(
            _set("roles", "log_keeper", "ack_timeout_minutes", -5),
            "roles.log_keeper.ack_timeout_minutes: Input should be greater than or equal to 1",
            id="negative timeout",
        ),
        pytest.param(
            _set("roles", "log_keeper", "action_card", ["Opret logbog"]),
            "roles.log_keeper.action_card: List should have at least 4 items",
            id="action card too short",
        ),
        pytest.param(
            _set("messages", "role_page", "Svar {svar} {code}"),
            "messages.role_page: unknown placeholder(s) svar",
            id="unknown placeholder",
        ),
        pytest.param(
            _set("messages", "role_page", "Svar {ref.__class__}"),
            "messages.role_page: placeholder {ref.__class__} must be a plain name",
            id="attribute access in placeholder",
        ),
        pytest.param(
            _set("messages", "page_closed", "Åben {ref"),
            "messages.page_closed: not a valid template",
            id="unbalanced brace",
        ),
        pytest.param(_drop("messages", "reply_help"), "messages.reply_help: missing", id="no msg"),
        pytest.param(
            _set("messages", "reply_hello", "Hej"),
            "messages.reply_hello: not a known message",
            id="unknown message",
        ),
        pytest.param(
            _set("surprise", 1), "surprise: Extra inputs are not permitted", id="extra key"
        ),
        pytest.param(
            _set("callout", "max_pases", 3),
            "callout.max_pases: Extra inputs are not permitted",
            id="misspelt nested key",
        ),
        pytest.param(_drop("volunteers"), "volunteers: Field required", id="missing section"),
        pytest.param(
            _set("targets", "all_roles_filled_minutes", 0),
            "targets.all_roles_filled_minutes: Input should be greater than or equal to 1",
            id="target of no minutes",
        ),
        pytest.param(
            _set("targets", "primary_share_percent", 101),
            "targets.primary_share_percent: Input should be less than or equal to 100",
            id="share above 100 percent",
        ),
        pytest.param(
            _set("targets", "all_filled", 15),
            "targets.all_filled: Extra inputs are not permitted",
            id="unknown target",
        ),
        pytest.param(
            _set("calendar_overrides", [{"date": "2026-05-01", "hours": [[540, "12:00"]]}]),
            "calendar_overrides.0.hours.0.0: write a local time as a quoted 'HH:MM' string",
            id="unquoted time read as a number",
        ),
        pytest.param(
            _set("calendar_overrides", [{"date": "2026-05-01", "hours": [["12:00", "08:00"]]}]),
            "calendar_overrides.0.hours.0: 12:00 is not before 08:00",
            id="span ends before it starts",
        ),
        pytest.param(
            _set(
                "calendar_overrides",
                [{"date": "2026-12-24", "closed": True}, {"date": "2026-12-24", "closed": True}],
            ),
            "calendar_overrides.1.date: 2026-12-24 appears more than once",
            id="date twice",
        ),
    ],
)
def test_a_problem_is_named_by_its_path(tmp_path, mutate, expected):
    problems = _problems(tmp_path, mutate)
    assert any(p.startswith(expected) for p in problems), problems


def test_every_problem_is_reported_at_once(tmp_path):
    def mutate(data):
        del data["roles"]["log_keeper"]
        data["roles"]["process_lead"]["ack_timeout_minutes"] = -1
        data["messages"]["role_page"] = "Svar {svar}"
        data["surprise"] = 1

    problems = _problems(tmp_path, mutate)
    assert sorted(problems) == sorted(
        [
            "roles: missing log_keeper",
            "roles.process_lead.ack_timeout_minutes: Input should be greater than or equal to 1",
            "messages.role_page: unknown placeholder(s) svar "
            "(allowed: code, ref, role_name, secretariat_phone, title)",
            "surprise: Extra inputs are not permitted",
        ]
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("name: x\nroles: [\n", "line 3, column 1: ", id="syntax error"),
        pytest.param("name: x\nversion: '1'\nname: y\n", "line 3, column 1: key 'name' ", id="dup"),
        pytest.param("", "(file): the file is empty", id="empty file"),
        pytest.param("- a\n- b\n", "(file): the top level must be a mapping", id="a list"),
    ],
)
def test_a_file_that_is_not_a_playbook_at_all(tmp_path, text, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PlaybookError) as exc:
        load_playbook(path)
    assert exc.value.problems[0].startswith(expected), exc.value.problems
    assert str(path) in str(exc.value)


def test_a_missing_file_is_a_problem_too(tmp_path):
    with pytest.raises(PlaybookError) as exc:
        load_playbook(tmp_path / "nowhere.yaml")
    assert exc.value.problems == ["(file): cannot read (No such file or directory)"]


def test_content_hash_follows_the_file(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_bytes(DEFAULT.read_bytes())
    first = load_playbook(path)
    assert first.content_hash == hashlib.sha256(DEFAULT.read_bytes()).hexdigest()
    assert first.path == path
    path.write_bytes(DEFAULT.read_bytes() + b"\n# changed\n")
    assert load_playbook(path).content_hash != first.content_hash


COUNTS = ("agents", "remaining", "missing", "minutes", "pass_no")
NOUNS = r"(agent|agenter|plads|pladser|kommune|kommuner|minut|minutter|time|timer|person|personer)"


@pytest.mark.parametrize("path", PLAYBOOKS, ids=lambda p: p.name)
@pytest.mark.parametrize("n", [1, 2, 12])
def test_every_message_agrees_in_number_with_its_counts(path, n):
    """Every text goes through one plural-aware renderer: "1 agent", "2 agenter" (#14.7)."""
    import re

    playbook = load_playbook(path).playbook
    values = {**REALISTIC, **dict.fromkeys(COUNTS, n)}
    for key in MESSAGES:
        text = playbook.render(key, **values)
        for count, noun in re.findall(rf"\b(\d+) {NOUNS}\b", text):
            if int(count) == 1:
                assert noun in ("agent", "plads", "kommune", "minut", "time", "person"), (key, text)
            else:
                assert noun not in ("agent", "plads", "kommune", "minut", "time", "person"), (
                    key,
                    text,
                )


def test_a_count_format_must_give_singular_and_plural():
    from beredskab.playbook import template_problems

    allowed = frozenset({"agents"})
    assert template_problems("{agents:agent|agenter}", allowed) == []
    for bad in ("{agents:agenter}", "{agents:agent|}", "{agents:a|b|c}", "{agents:>5}"):
        assert template_problems(bad, allowed), bad


@pytest.mark.parametrize("path", PLAYBOOKS, ids=lambda p: p.name)
def test_every_message_ends_a_sentence(path):
    """A full stop (or question mark) ends each text, unless it ends with free text that the
    dispatcher may cut (a title, an authority, a list of municipalities) (#14.7)."""
    for key, template in load_playbook(path).playbook.messages.items():
        assert template.endswith((".", "?")) or template.endswith(
            FREE_TEXT + ("{municipality}",)
        ), (
            key,
            template,
        )


def test_the_help_reply_names_every_keyword_a_person_can_use():
    text = load_playbook(DEFAULT).playbook.render("reply_help")
    for word in ("OK", "JA", "NEJ", "BEKRÆFT", "AFMELD"):
        assert word in text, word


def test_the_shipped_playbook_names_its_targets():
    targets = load_playbook(DEFAULT).playbook.targets
    assert (targets.endorsed_minutes, targets.all_roles_filled_minutes) == (10, 15)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        pytest.param(
            _set("messages", "drill_page", "Kaldeøvelse: svar OK {code}."),
            "messages.drill_page: must start with ØVELSE",
            id="drill text not ØVELSE first",
        ),
        pytest.param(
            _set("messages", "drill_call", "Kaldeøvelse. Tryk 1."),
            "messages.drill_call: must start with ØVELSE",
            id="drill call not ØVELSE first",
        ),
        pytest.param(
            _set("drills", "schedule", [{"group": "all", "rule": "hver tirsdag 10:00"}]),
            "drills.schedule.0.rule",
            id="bad drill rule",
        ),
        pytest.param(
            _set("drills", "schedule", [{"group": "alle", "rule": "first monday of month 10:00"}]),
            "drills.schedule.0.group",
            id="bad drill group",
        ),
        pytest.param(_set("drills", "open_minutes", 10), "drills.open_minutes", id="short drill"),
    ],
)
def test_drill_problems_are_named(tmp_path, mutate, expected):
    problems = _problems(tmp_path, mutate)
    assert any(p.startswith(expected) for p in problems), problems


def test_the_shipped_playbook_schedules_drills():
    drills = load_playbook(DEFAULT).playbook.drills
    assert drills.open_minutes >= 30 and drills.schedule
