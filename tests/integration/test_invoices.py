"""E-invoices (#17) over HTTP with the billing worked example (docs/domain.md#worked-example):
the invoice's total equals the finance report's to the øre, an adjustment makes a credit note
(or a new invoice) whose total is the adjustment, every document passes the official rules,
numbers run without gaps, each reader sees only what is theirs, and sending drops the file."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from beredskab.directory.models import Organisation
from beredskab.invoices.validation import fatal, validate
from beredskab.metadata import utcnow
from tests.costworld import R, cost_world, get, post, worked_example
from tests.factories import DDH_CVR, INVOICE_SETTINGS

_TODAY = utcnow().date()
RUN = {"from": str(_TODAY - timedelta(days=30)), "to": str(_TODAY + timedelta(days=1))}
PERIOD = f"from={RUN['from']}&to={RUN['to']}"
CBC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"
SELLER = INVOICE_SETTINGS


async def _identify(db) -> None:
    async with db.sessionmaker() as s:
        (await s.get(Organisation, "ddh")).cvr = DDH_CVR
        odder = await s.get(Organisation, "odder")
        odder.cvr, odder.ean, odder.buyer_reference = "29900019", "5790000000012", "BER-2026"
        await s.commit()


@pytest.fixture
async def world(db, tmp_path):
    async with cost_world(db, {**SELLER, "invoice_drop_dir": tmp_path / "drop"}) as w:
        await _identify(db)
        w.example = await worked_example(w)
        r = await post(w, f"/activations/{w.example}/costs/final", {})
        assert r.status_code == 200, r.text
        w.drop = tmp_path / "drop"
        yield w


async def _xml(w, number, token="finance") -> bytes:
    r = await get(w, f"/invoices/{number}.xml", token)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/xml")
    return r.content


def _payable(xml: bytes) -> int:
    text = ET.fromstring(xml).find(f".//{CBC}PayableAmount").text  # noqa: S314
    kroner, ore = text.split(".")
    return int(kroner) * 100 + int(ore)


async def test_the_worked_example_invoice_equals_the_report_and_passes_the_rules(world):
    report = (await get(world, f"/costs/report?{PERIOD}")).json()
    (odder,) = [p for p in report["invoices"] if p["org_id"] == "odder"]
    assert odder["amount_ore"] == 10 * R

    r = await post(world, "/invoices", RUN)
    assert r.status_code == 201, r.text
    (invoice,) = r.json()
    assert invoice["kind"] == "invoice" and invoice["debtor_id"] == "odder"
    assert invoice["number"] == f"{_TODAY.year}-00001"
    assert invoice["total_ore"] == odder["amount_ore"]
    xml = await _xml(world, invoice["number"])
    assert _payable(xml) == 10 * R
    assert fatal(validate(xml)) == []
    assert b'schemeID="0088">5790000000012<' in xml and b"<cbc:BuyerReference>BER-2026<" in xml

    again = await post(world, "/invoices", RUN)  # nothing new: no second invoice
    assert again.status_code == 201 and again.json() == []


async def test_adjustments_make_a_credit_note_or_a_new_invoice_of_their_amount(world):
    (invoice,) = (await post(world, "/invoices", RUN)).json()
    for amount in (-10_000, 5_000):
        r = await post(
            world,
            f"/activations/{world.example}/costs/adjustments",
            {"amount_ore": amount, "debtor_id": "odder", "creditor_id": "ddh", "reason": "Ret"},
        )
        assert r.status_code == 201, r.text
    r = await post(world, "/invoices", RUN)
    credit, extra = r.json()
    year = _TODAY.year
    assert (credit["kind"], credit["number"], credit["total_ore"]) == (
        "credit_note",
        f"{year}-00002",
        10_000,
    )
    assert (extra["kind"], extra["number"], extra["total_ore"]) == (
        "invoice",
        f"{year}-00003",
        5_000,
    )
    assert credit["refers_to"] == extra["refers_to"] == invoice["number"]
    for doc in (credit, extra):
        xml = await _xml(world, doc["number"])
        assert fatal(validate(xml)) == []
        assert f"<cbc:ID>{invoice['number']}</cbc:ID>".encode() in xml
    # what odder owes in the report = invoices − credit notes, to the øre
    report = (await get(world, f"/costs/report?{PERIOD}")).json()
    (odder,) = [p for p in report["invoices"] if p["org_id"] == "odder"]
    listed = (await get(world, f"/invoices?{PERIOD}")).json()
    signed = sum(d["total_ore"] * (-1 if d["kind"] == "credit_note" else 1) for d in listed)
    assert signed == odder["amount_ore"] == 10 * R - 5_000


async def test_each_reader_sees_only_their_own(world):
    (invoice,) = (await post(world, "/invoices", RUN)).json()
    number = invoice["number"]
    own = await get(world, f"/invoices?{PERIOD}", "authority")
    assert [d["number"] for d in own.json()] == [number]
    assert (await get(world, f"/invoices?{PERIOD}", "other_authority")).json() == []
    assert (await get(world, f"/invoices/{number}.xml", "other_authority")).status_code == 404
    assert (await get(world, f"/invoices/{number}.html", "other_authority")).status_code == 404
    html = await get(world, f"/invoices/{number}.html", "authority")
    assert html.status_code == 200
    assert "Faktura" in html.text and "4.567,80" in html.text and "Odder Kommune" in html.text
    for token in ("steering", "admin", "leader0"):
        assert (await get(world, f"/invoices?{PERIOD}", token)).status_code == 403
        assert (await get(world, f"/invoices/{number}.xml", token)).status_code == 403
    assert (await post(world, "/invoices", RUN, "authority")).status_code == 403
    r = await post(world, f"/invoices/{number}/state", {"state": "accepted"}, "authority")
    assert r.status_code == 403


async def test_sending_drops_the_file_then_the_receipt_sets_the_state(world):
    (invoice,) = (await post(world, "/invoices", RUN)).json()
    number = invoice["number"]
    early = await post(world, f"/invoices/{number}/state", {"state": "accepted"})
    assert early.status_code == 409  # not sent yet
    r = await post(world, f"/invoices/{number}/send", {})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "sent"
    assert (world.drop / f"{number}.xml").read_bytes() == await _xml(world, number)
    r = await post(world, f"/invoices/{number}/state", {"state": "accepted", "note": "modtaget"})
    assert r.status_code == 200 and r.json()["state"] == "accepted"
    assert (await post(world, f"/invoices/{number}/send", {})).status_code == 409
    bad = await post(world, f"/invoices/{number}/state", {"state": "paid"})
    assert bad.status_code == 422
    assert (await get(world, "/invoices/2026-99999.xml")).status_code == 404


async def test_nothing_is_invoiced_until_finance_sets_the_vat_category(db, tmp_path):
    async with cost_world(db) as w:
        await _identify(db)
        example = await worked_example(w)
        assert (await post(w, f"/activations/{example}/costs/final", {})).status_code == 200
        r = await post(w, "/invoices", RUN)
        assert r.status_code == 409
        assert "INVOICE_VAT_CATEGORY" in r.json()["detail"]
        assert (await get(w, f"/invoices?{PERIOD}")).json() == []


async def test_an_authority_without_an_ean_is_named(world):
    async with world.db.sessionmaker() as s:
        (await s.get(Organisation, "odder")).ean = None
        await s.commit()
    r = await post(world, "/invoices", RUN)
    assert r.status_code == 409 and "Odder Kommune (odder) has no ean" in r.json()["detail"]
    async with world.db.sessionmaker() as s:
        (await s.get(Organisation, "odder")).ean = "5790000000012"
        await s.commit()
    (invoice,) = (await post(world, "/invoices", RUN)).json()
    assert invoice["number"] == f"{_TODAY.year}-00001"  # the failed run used no number


def _response(number: str, code: str, why: str = "") -> bytes:
    """A Peppol Invoice Response as an access point would hand it back."""
    reason = f"<cbc:Description>{why}</cbc:Description>" if why else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ApplicationResponse xmlns="urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:CustomizationID>urn:fdc:peppol.eu:poacc:trns:invoice_response:3</cbc:CustomizationID>
 <cbc:ID>resp-{number}-{code}</cbc:ID>
 <cac:DocumentResponse>
  <cac:Response><cbc:ResponseCode>{code}</cbc:ResponseCode>{reason}</cac:Response>
  <cac:DocumentReference><cbc:ID>{number}</cbc:ID></cac:DocumentReference>
 </cac:DocumentResponse>
</ApplicationResponse>""".encode()


async def test_the_access_points_receipts_set_the_state_once(world):
    first, *_ = (await post(world, "/invoices", RUN)).json()
    number = first["number"]
    assert (await post(world, f"/invoices/{number}/send", {})).status_code == 200
    inbox = world.drop / "receipts"
    inbox.mkdir()
    (inbox / "1-ab.xml").write_bytes(_response(number, "AB"))
    (inbox / "2-re.xml").write_bytes(_response(number, "RE", "Forkert reference"))
    (inbox / "3-junk.xml").write_bytes(b"<not xml")
    r = await post(world, "/invoices/receipts", {})
    assert r.status_code == 200, r.text
    assert r.json()["applied"] == [f"{number}: rejected"]
    assert len(r.json()["ignored"]) == 2
    listed = (await get(world, f"/invoices?{PERIOD}")).json()
    assert (listed[0]["state"], listed[0]["state_note"]) == ("rejected", "Forkert reference")
    assert sorted(p.name for p in inbox.glob("*.xml")) == []  # all archived
    assert (await post(world, "/invoices/receipts", {})).json() == {"applied": [], "ignored": []}
    # sent again after the correction, then accepted; a repeated receipt changes nothing
    assert (await post(world, f"/invoices/{number}/send", {})).json()["state"] == "sent"
    for name in ("4-ap.xml", "5-ap.xml"):
        (inbox / name).write_bytes(_response(number, "AP"))
    r = (await post(world, "/invoices/receipts", {})).json()
    assert r["applied"] == [f"{number}: accepted"] and len(r["ignored"]) == 1
    assert (await post(world, "/invoices/receipts", {}, "authority")).status_code == 403


async def test_two_runs_at_once_make_one_invoice_and_no_gap(world):
    import asyncio

    from beredskab.invoices import sending, service
    from tests.factories import demo_config

    config = sending.config_from(world.app.state.runtime.settings)
    rules = demo_config().opening_rules
    first, last = (_TODAY - timedelta(days=30), _TODAY + timedelta(days=1))

    async def run() -> list[str]:
        async with world.db.sessionmaker() as s:
            made = await service.create_for_period(
                s, rules, config, first, last, by="test", now=utcnow()
            )
            return [row.number for row in made]

    results = await asyncio.gather(run(), run())
    assert sorted(results) == [[], [f"{_TODAY.year}-00001"]]


async def test_a_draft_statement_waits_until_it_is_final(world):
    from tests.costworld import add_shift, local, stand_down

    second = await world.activate("steering", title="Stormflod")
    await add_shift(world, second["id"], local(2026, 11, 21, 16), local(2026, 11, 21, 18))
    await stand_down(world, second["id"])
    (invoice,) = (await post(world, "/invoices", RUN)).json()
    xml = await _xml(world, invoice["number"])
    assert b"Stormflod" not in xml and _payable(xml) == 10 * R  # only the final one
    assert (await post(world, f"/activations/{second['id']}/costs/final", {})).status_code == 200
    (later,) = (await post(world, "/invoices", RUN)).json()
    assert later["number"] == f"{_TODAY.year}-00002"
    xml = await _xml(world, later["number"])
    assert b"Stormflod" in xml and fatal(validate(xml)) == []
    assert b'unitCode="HUR">4<' in xml  # 2 agents × 2 hours out of hours (Saturday)
