"""GET /calendar/opening-hours: the calendar's split with the playbook's closed days."""

from __future__ import annotations

from beredskab.auth.models import TokenRole
from tests.factories import bearer, make_token

CPH = "+01:00"


async def _get(client, session, start, end):
    token = await make_token(session, TokenRole.crisis_staff)
    return await client.get(
        "/calendar/opening-hours", params={"from": start, "to": end}, headers=bearer(token)
    )


async def test_a_friday_evening_shift_is_one_hour_in_and_five_out(client, session):
    r = await _get(client, session, f"2026-11-27T15:00:00{CPH}", f"2026-11-27T21:00:00{CPH}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["in_hours"], body["out_of_hours"]) == (1.0, 5.0)
    assert [p["in_hours"] for p in body["pieces"]] == [True, False]
    assert body["days"] == [{"date": "2026-11-27", "kind": "normal", "open": ["08:00-16:00"]}]


async def test_the_playbook_closes_christmas_eve(client, session):
    r = await _get(client, session, f"2026-12-24T00:00:00{CPH}", f"2026-12-25T00:00:00{CPH}")
    body = r.json()
    assert body["in_hours"] == 0 and body["out_of_hours"] == 24
    assert body["days"][0]["kind"] == "override" and body["days"][0]["open"] == []


async def test_the_night_of_the_autumn_dst_change_has_25_hours(client, session):
    r = await _get(client, session, "2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00")
    body = r.json()
    assert body["in_hours"] + body["out_of_hours"] == 25
    assert body["in_hours"] == 4  # a Sunday: 16-20


async def test_bad_spans_are_refused_with_the_field_named(client, session):
    r = await _get(client, session, f"2026-11-27T21:00:00{CPH}", f"2026-11-27T15:00:00{CPH}")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "to"
    r = await _get(client, session, "2026-11-27T15:00:00", f"2026-11-27T21:00:00{CPH}")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "from"
    r = await _get(client, session, f"2026-01-01T00:00:00{CPH}", f"2026-06-01T00:00:00{CPH}")
    assert r.status_code == 422 and "62 days" in r.json()["detail"]
