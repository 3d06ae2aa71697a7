"""Settings: a bad value stops start-up with one line naming the variable and the problem."""

from __future__ import annotations

import subprocess
import sys

import pytest

from beredskab.settings import ConfigurationError, load_settings


@pytest.mark.parametrize(
    ("env", "variable", "words"),
    [
        ({"SMS_GATEWAY": "pigeon"}, "SMS_GATEWAY", "console"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL", "sqlite+aiosqlite"),
        ({"TIMEZONE": "Mars/Olympus"}, "TIMEZONE", "unknown time zone"),
        ({"SMS_RATE_PER_SECOND": "0"}, "SMS_RATE_PER_SECOND", "greater than 0"),
        ({"PUBLIC_BASE_URL": "ftp://x"}, "PUBLIC_BASE_URL", "http"),
        ({"SMS_GATEWAY": "twilio"}, "TWILIO_ACCOUNT_SID", "needs"),
        ({"INVOICE_VAT_CATEGORY": "S"}, "INVOICE_VAT_CATEGORY", "not subject to VAT"),
        ({"INVOICE_BANK_REG": "12345"}, "INVOICE_BANK_REG", "pattern"),
    ],
)
def test_bad_value_names_variable_and_reason(monkeypatch, env, variable, words):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigurationError) as exc:
        load_settings(_env_file=None)
    message = str(exc.value.code)
    assert variable in message and words in message
    assert message.startswith("configuration error:")


def test_defaults_are_the_embedded_demo(monkeypatch):
    for key in ("DATABASE_URL", "SMS_GATEWAY", "TIMEZONE"):
        monkeypatch.delenv(key, raising=False)
    s = load_settings(_env_file=None)
    assert s.database_url.startswith("sqlite+aiosqlite")
    assert s.sms_gateway == "console" and s.timezone == "Europe/Copenhagen"


def test_cli_refuses_to_start_with_one_line(tmp_path):
    env = {"SMS_GATEWAY": "pigeon", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    r = subprocess.run(
        [sys.executable, "-m", "beredskab", "migrate"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert lines == [lines[0]] and "SMS_GATEWAY" in lines[0]


def test_serve_refuses_an_invalid_playbook_listing_each_problem(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nversion: '1'\nroles: {}\nmessages: {}\n")
    env = {
        "PLAYBOOK": str(bad),
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db",
    }
    r = subprocess.run(
        [sys.executable, "-m", "beredskab", "serve", "--port", "1"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2
    assert "roles: missing crisis_leader" in r.stderr and "messages.role_page: missing" in r.stderr
