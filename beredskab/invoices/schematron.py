"""A small ISO Schematron → XSLT 3.0 compiler, enough for the EN 16931 and Peppol BIS 3.0 rules.

Pure: schematron text in, stylesheet text out. What it does (and all it does):

* every `ns` becomes a namespace declaration of the stylesheet;
* the schema's `xsl:function`s are copied through unchanged (the Peppol file's `u:` helpers);
* a `let` at schema or pattern level becomes a global `xsl:variable` (its context is the
  document: the stylesheet is run with the document as its global context item);
* each pattern becomes a mode; its rules become templates of that mode in document order with
  falling priorities, so the first rule whose context matches a node wins (ISO: a node is fired
  by at most one rule per pattern); a `let` inside a rule becomes a local variable;
* an `assert` that fails writes an `svrl:failed-assert`, a `report` that holds an
  `svrl:successful-report`, each with its `id`, `flag` (`fatal` when absent), `location` (the
  node's `path()`) and text;
* every pattern walks the whole document (elements and attributes) from the root.

Phases, abstract patterns, `include`, `value-of`/`name` in messages and diagnostics are not used
by these files and are refused rather than silently ignored.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

SCH = "http://purl.oclc.org/dsdl/schematron"
XSL = "http://www.w3.org/1999/XSL/Transform"
SVRL = "http://purl.oclc.org/dsdl/svrl"

_S = f"{{{SCH}}}"
_X = f"{{{XSL}}}"


class SchematronError(ValueError):
    """The schematron uses something this compiler does not support."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _function(element: ET.Element) -> str:
    ET.register_namespace("xsl", XSL)
    return ET.tostring(element, encoding="unicode").strip()


def _variable(let: ET.Element) -> str:
    name, value = quoteattr(let.attrib["name"]), quoteattr(let.attrib["value"])
    return f"<xsl:variable name={name} select={value}/>"


def _message(check: ET.Element) -> str:
    if len(check):
        raise SchematronError(f"{check.get('id')}: elements inside a message are not supported")
    return escape(" ".join((check.text or "").split()))


def _check(check: ET.Element) -> str:
    kind = _local(check.tag)
    test = check.attrib["test"]
    condition = f"not({test})" if kind == "assert" else f"({test})"
    element = "svrl:failed-assert" if kind == "assert" else "svrl:successful-report"
    attrs = " ".join(
        f"{name}={quoteattr(value)}"
        for name, value in (
            ("id", check.get("id", "")),
            ("flag", check.get("flag", "fatal")),
            ("test", test.replace("{", "{{").replace("}", "}}")),
        )
    )
    return (
        f'<xsl:if test={quoteattr(condition)}><{element} {attrs} location="{{path()}}">'
        f"<svrl:text>{_message(check)}</svrl:text></{element}></xsl:if>"
    )


def _rule(rule: ET.Element, mode: str, priority: int) -> str:
    body = []
    for child in rule:
        kind = _local(child.tag)
        if kind == "let":
            body.append(_variable(child))
        elif kind in ("assert", "report"):
            body.append(_check(child))
        else:
            raise SchematronError(f"<{kind}> inside a rule is not supported")
    body.append(f'<xsl:apply-templates select="@*|*" mode="{mode}"/>')
    return (
        f'<xsl:template match={quoteattr(rule.attrib["context"])} priority="{priority}" '
        f'mode="{mode}">' + "".join(body) + "</xsl:template>"
    )


def compile_schematron(text: str | bytes) -> str:
    """The XSLT 3.0 stylesheet for a schematron schema (see the module's docstring)."""
    root = ET.fromstring(text)  # noqa: S314 (our vendored rule files, not outside input)
    if root.tag != _S + "schema":
        raise SchematronError("not an ISO schematron schema")
    if root.get("queryBinding", "xslt2") not in ("xslt2", "xslt3"):
        raise SchematronError(f"queryBinding {root.get('queryBinding')} is not supported")
    namespaces = {"xsl": XSL, "svrl": SVRL}
    globals_, functions, patterns = [], [], []
    for child in root:
        kind = _local(child.tag)
        if child.tag == _S + "ns":
            namespaces[child.attrib["prefix"]] = child.attrib["uri"]
        elif child.tag == _S + "let":
            globals_.append(_variable(child))
        elif child.tag == _X + "function":
            functions.append(_function(child))
        elif child.tag == _S + "pattern":
            if child.get("abstract") == "true" or child.get("is-a"):
                raise SchematronError("abstract patterns are not supported")
            patterns.append(child)
        elif kind in ("title", "phase", "p"):
            continue  # every pattern runs (the default phase #ALL)
        else:
            raise SchematronError(f"<{kind}> is not supported")
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<xsl:stylesheet version="3.0" '
        + " ".join(f"xmlns:{p}={quoteattr(u)}" for p, u in namespaces.items())
        + ' exclude-result-prefixes="#all">',
        '<xsl:output method="xml" indent="no"/>',
        *globals_,
        *functions,
    ]
    starts = []
    for number, pattern in enumerate(patterns, 1):
        mode = f"M{number}"
        starts.append(f'<xsl:apply-templates select="/" mode="{mode}"/>')
        rules = [c for c in pattern if c.tag == _S + "rule"]
        for c in pattern:
            if c.tag == _S + "let":
                out.append(_variable(c))
            elif c.tag not in (_S + "rule", _S + "title", _S + "p"):
                raise SchematronError(f"<{_local(c.tag)}> inside a pattern is not supported")
        for i, rule in enumerate(rules):
            out.append(_rule(rule, mode, 1000 + len(rules) - i))
        out.append(
            f'<xsl:template match="@*|node()" priority="-10" mode="{mode}">'
            f'<xsl:apply-templates select="@*|*" mode="{mode}"/></xsl:template>'
        )
    out.append(
        '<xsl:template match="/"><svrl:schematron-output>'
        + "".join(starts)
        + "</svrl:schematron-output></xsl:template>"
    )
    out.append("</xsl:stylesheet>")
    return "\n".join(out)
