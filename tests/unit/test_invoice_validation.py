"""The validator itself: OpenPEPPOL's base example passes both rule sets, broken copies fail
with the rule that names what is wrong (so a validator that finds nothing cannot pass)."""

from __future__ import annotations

from pathlib import Path

import pytest

from beredskab.invoices.schematron import SchematronError, compile_schematron
from beredskab.invoices.validation import fatal, validate

EXAMPLE = (Path(__file__).parent / "peppol_base_example.xml").read_bytes()


def test_the_base_example_has_no_fatal_finding():
    assert fatal(validate(EXAMPLE)) == []


@pytest.mark.parametrize(
    ("old", "new", "rule"),
    [
        # no buyer reference nor order reference (Peppol)
        (b"<cbc:BuyerReference>0150abc</cbc:BuyerReference>", b"", "PEPPOL-EN16931-R003"),
        # the amount due no longer equals the lines (EN 16931 calculation rule)
        (
            b'<cbc:PayableAmount currencyID="EUR">1656.25</cbc:PayableAmount>',
            b'<cbc:PayableAmount currencyID="EUR">1656.26</cbc:PayableAmount>',
            "BR-CO-16",
        ),
        # an unknown currency (EN 16931 code list)
        (
            b"<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>",
            b"<cbc:DocumentCurrencyCode>EUX</cbc:DocumentCurrencyCode>",
            "BR-CL-04",
        ),
        # an empty element (Peppol)
        (
            b"<cbc:Note>Payment within 10 days, 2% discount</cbc:Note>",
            b"<cbc:Note/>",
            "PEPPOL-EN16931-R008",
        ),
    ],
)
def test_a_broken_copy_fails_by_the_rule_it_breaks(old, new, rule):
    assert old in EXAMPLE
    found = fatal(validate(EXAMPLE.replace(old, new)))
    assert rule in {f.id for f in found}


def test_the_compiler_refuses_what_it_does_not_support():
    with pytest.raises(SchematronError):
        compile_schematron(
            b'<schema xmlns="http://purl.oclc.org/dsdl/schematron"><include href="x"/></schema>'
        )


def test_first_matching_rule_wins_within_a_pattern():
    sch = b"""<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">
      <pattern>
        <rule context="b[@x]"><assert id="first" test="false()" flag="fatal">first</assert></rule>
        <rule context="b"><assert id="second" test="false()" flag="warning">second</assert></rule>
      </pattern>
      <pattern>
        <rule context="a"><let name="n" value="count(b)"/>
          <report id="count" test="$n = 2" flag="warning">two</report></rule>
      </pattern>
    </schema>"""
    from saxonche import PySaxonProcessor

    processor = PySaxonProcessor(license=False)
    executable = processor.new_xslt30_processor().compile_stylesheet(
        stylesheet_text=compile_schematron(sch)
    )
    node = processor.parse_xml(xml_text='<a><b x="1"/><b/></a>')
    executable.set_global_context_item(xdm_item=node)
    out = executable.transform_to_string(xdm_node=node)
    assert out.count('id="first"') == 1
    assert out.count('id="second"') == 1
    assert out.count('id="count"') == 1
