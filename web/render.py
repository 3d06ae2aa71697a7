"""Jinja2 templates and the Danish filters the pages use (times in local time with the date)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from beredskab import danish
from web import words

HERE = Path(__file__).resolve().parent
ASSETS = "/assets"  # web/static, served by the service itself (nothing from a CDN)
HTMX = f"{ASSETS}/vendor/htmx.org-2.0.11/htmx.min.js"
HTMX_SSE = f"{ASSETS}/vendor/htmx-ext-sse-2.2.4/sse.min.js"

_env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,  # a missing value is a bug, not an empty cell
    trim_blocks=True,
    lstrip_blocks=True,
)


def _when(moment: datetime | None, tz: ZoneInfo) -> str:
    return "" if moment is None else danish.when(moment, tz)


def _clock(moment: datetime | None, tz: ZoneInfo) -> str:
    return "" if moment is None else f"{moment.astimezone(tz):%H.%M}"


def _kr(amount: object) -> str:
    """Kroner as a Dane writes them: 1.234,50 kr."""
    text = f"{float(amount):,.2f}"  # type: ignore[arg-type]
    return text.replace(",", "X").replace(".", ",").replace("X", ".") + " kr."


def _phone(e164: str) -> str:
    """A Danish number as a Dane reads it ("50 10 00 01"); others as stored."""
    if e164.startswith("+45") and len(e164) == 11:
        return " ".join(e164[i : i + 2] for i in range(3, 11, 2))
    return e164


_env.filters["kr"] = _kr
_env.filters["phone"] = _phone
_env.globals.update(
    count=danish.count,
    duration=danish.duration,
    age=danish.age,
    HTMX=HTMX,
    HTMX_SSE=HTMX_SSE,
    ASSETS=ASSETS,
    words=words,
    word=words.word,
)


def render(
    request: Request, template: str, context: dict | None = None, *, status: int = 200
) -> HTMLResponse:
    """The page `template` with the request's signed-in person, CSRF token and time zone."""
    settings = request.app.state.settings
    tz = settings.tz
    values = {
        "request": request,
        "me": getattr(request.state, "identity", None),
        "csrf": getattr(request.state, "csrf", ""),
        "nav": getattr(request.state, "nav", ()),
        "when": lambda moment: _when(moment, tz),
        "clock": lambda moment: _clock(moment, tz),
        "tz": tz,
        **(context or {}),
    }
    html = _env.get_template(template).render(values)
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
