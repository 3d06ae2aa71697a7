"""Mount the console on the FastAPI app: its static files, its pages, and Danish error pages.

The API's error handlers answer problem+json; on the console's own addresses the same errors
are answered with a page a person can read (and a sign-in redirect where the session is gone)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.errors import STATUS_OF
from beredskab.errors import DomainError, TryAgain
from web.deps import CsrfRefused, SignInRequired, login_redirect
from web.render import ASSETS, render
from web.routes import board, cards, finance, finance_period, overview, readiness, shifts, signin
from web.routes import log as log_page

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
# the first path segments that are the console's: errors there are answered as pages
WEB_SEGMENTS = frozenset({"", "login", "logout", "oversigt", "aktivering", "beredskab", "okonomi"})
ROUTERS = (
    signin.router,  # /login, /logout
    overview.router,  # Oversigt
    board.router,  # Aktivering: the status board
    log_page.router,  # Logbog
    shifts.router,  # Vagter
    cards.router,  # Handlingskort
    finance.router,  # Økonomi of one activation
    finance_period.router,  # Økonomi: tariffs and the period report
    readiness.router,  # Beredskab
)

Handler = Callable[[Request, Exception], Awaitable[Response]]


def is_console_path(path: str) -> bool:
    return path.split("/")[1] in WEB_SEGMENTS


def is_web(request: Request) -> bool:
    return is_console_path(request.url.path)


def _page(request: Request, status: int, heading: str, message: str) -> Response:
    return render(request, "error.html", {"heading": heading, "message": message}, status=status)


_STATUS_PAGES = {
    403: ("Ingen adgang", "Du har ikke adgang til denne side eller handling."),
    404: ("Siden findes ikke", "Siden findes ikke, eller du har ikke adgang til den."),
    405: ("Siden findes ikke", "Siden kan ikke bruges på den måde."),
    409: (
        "Det kunne ikke lade sig gøre",
        "Handlingen passer ikke til aktiveringens tilstand lige nu. Genindlæs siden og se, "
        "hvad der er sket.",
    ),
    422: ("Oplysningerne kan ikke bruges", "Gå tilbage og ret oplysningerne i formularen."),
}


def web_error_page(request: Request, exc: Exception) -> Response:
    """The page for `exc` raised by a console route (the route itself handles form errors it
    expects; this is the rest)."""
    if isinstance(exc, SignInRequired):
        target = login_redirect(exc.next_path)
        if request.headers.get("HX-Request"):  # htmx follows this header, not a 303
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    if isinstance(exc, CsrfRefused):
        return _page(
            request,
            403,
            "Formularen blev afvist",
            "Formularen var for gammel eller kom ikke fra denne side. Genindlæs siden og prøv "
            "igen. Intet er ændret.",
        )
    if isinstance(exc, TryAgain):
        return _page(
            request,
            409,
            "Prøv igen",
            "En anden handling blev udført samtidig, så din blev ikke gennemført. Intet er "
            "ændret. Gå tilbage til siden, og gør det samme igen.",
        )
    status = 500
    if isinstance(exc, DomainError):
        status = next((s for t, s in STATUS_OF.items() if isinstance(exc, t)), 400)
    elif isinstance(exc, RequestValidationError):
        status = 422
    elif isinstance(exc, StarletteHTTPException):
        status = exc.status_code
    if status in _STATUS_PAGES:
        return _page(request, status, *_STATUS_PAGES[status])
    if status >= 500:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return _page(
            request,
            500,
            "Der skete en fejl",
            "Der skete en uventet fejl. Den er logget, og intet er ændret. Prøv igen om lidt.",
        )
    return _page(request, status, "Det kunne ikke lade sig gøre", "Prøv igen.")


def _for_web(api_handler: Handler | None) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        if is_web(request) or api_handler is None:
            return web_error_page(request, exc)
        return await api_handler(request, exc)

    return handle


def install_web(app: FastAPI) -> None:
    """Call after the API's error handlers are installed: console paths get pages instead."""
    app.mount(ASSETS, StaticFiles(directory=STATIC), name="assets")
    for router in ROUTERS:
        app.include_router(router)
    for kind in (DomainError, RequestValidationError, StarletteHTTPException, Exception):
        app.exception_handlers[kind] = _for_web(app.exception_handlers.get(kind))
    for kind in (SignInRequired, CsrfRefused):
        app.exception_handlers[kind] = _for_web(None)
