"""Every document we generate checked against the official rules: EN 16931 (CEN, bound to UBL)
and Peppol BIS Billing 3.0 with the Danish national rules, as vendored in `rules/`.

The schematron files are compiled to XSLT 3.0 by our own `schematron.py` and run by SaxonC-HE
(`saxonche`). Both stylesheets are built once per process, at first use (about half a second);
a document then takes a few milliseconds. `validate_many` spreads a batch over processes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from beredskab.invoices.schematron import SVRL, compile_schematron

RULES = Path(__file__).with_name("rules")
RULE_FILES = ("CEN-EN16931-UBL.sch", "PEPPOL-EN16931-UBL.sch")
_SVRL = f"{{{SVRL}}}"


@dataclass(frozen=True)
class Finding:
    """One failed assertion (or successful report) of the rules."""

    id: str
    flag: str  # fatal | warning
    location: str
    text: str


@cache
def _stylesheets():  # -> (PySaxonProcessor, [PyXsltExecutable]); one per process
    from saxonche import PySaxonProcessor

    processor = PySaxonProcessor(license=False)
    xslt = processor.new_xslt30_processor()
    executables = [
        xslt.compile_stylesheet(stylesheet_text=compile_schematron((RULES / name).read_bytes()))
        for name in RULE_FILES
    ]
    return processor, executables


def validate(document: bytes) -> list[Finding]:
    """Every finding of both rule sets on `document` (UBL Invoice or CreditNote XML)."""
    processor, executables = _stylesheets()
    node = processor.parse_xml(xml_text=document.decode("utf-8"))
    findings = []
    for executable in executables:
        executable.set_global_context_item(xdm_item=node)
        # the report our own stylesheet wrote (the document itself was parsed by Saxon)
        report = ET.fromstring(executable.transform_to_string(xdm_node=node))  # noqa: S314
        for item in report:
            text = item.find(_SVRL + "text")
            findings.append(
                Finding(
                    id=item.get("id", ""),
                    flag=item.get("flag", "fatal"),
                    location=item.get("location", ""),
                    text=(text.text or "") if text is not None else "",
                )
            )
    return findings


def fatal(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.flag == "fatal"]


def _fatal_of(documents: list[bytes]) -> list[list[Finding]]:
    return [fatal(validate(d)) for d in documents]


def validate_many(documents: list[bytes], *, workers: int = 2) -> list[list[Finding]]:
    """The fatal findings of each document, in order; `workers` processes share the batch
    (each compiles the rules once)."""
    if workers <= 1 or len(documents) < 2 * workers:
        return _fatal_of(documents)
    size = -(-len(documents) // workers)
    chunks = [documents[i : i + size] for i in range(0, len(documents), size)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return [found for part in pool.map(_fatal_of, chunks) for found in part]
