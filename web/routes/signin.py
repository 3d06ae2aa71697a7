"""/login: the phone number, then the 6-digit code from the SMS; /logout ends the session.

The answer to a phone number is the same whether or not it is in the directory, so the page
cannot be used to find out who is. Before a session exists the forms are protected by a
pre-sign-in cookie and its token (double submit), so no other site can sign someone in."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from beredskab.auth import signin
from beredskab.auth.identity import Identity
from beredskab.errors import InvalidInput
from beredskab.metadata import utcnow
from web.deps import COOKIE, CsrfRefused, WriteSession, csrf_for, identity
from web.render import render

router = APIRouter()

PRE_COOKIE = "ddh_pre"
SESSION_MAX_AGE = 12 * 3600  # the absolute limit; the server ends idle sessions sooner


def _secure(request: Request) -> bool:
    return request.app.state.settings.public_base_url.startswith("https://")


def _safe_next(value: str | None) -> str:
    """Only a path on this site (never //host or a scheme): no open redirect."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/oversigt"
    return value


def _client(request: Request) -> str:
    return request.client.host if request.client else "ukendt"


def _pre_token(request: Request) -> tuple[str, bool]:
    """The pre-sign-in cookie's value, and whether it is new (to be set on the answer)."""
    kept = request.cookies.get(PRE_COOKIE)
    return (kept, False) if kept else (secrets.token_urlsafe(24), True)


def _form_page(request: Request, template: str, context: dict, *, status: int = 200) -> Response:
    pre, new = _pre_token(request)
    page = render(request, template, {**context, "csrf": csrf_for(pre)}, status=status)
    if new:
        page.set_cookie(
            PRE_COOKIE, pre, httponly=True, samesite="strict", secure=_secure(request), path="/"
        )
    return page


def _check_pre(request: Request, csrf: str) -> None:
    pre = request.cookies.get(PRE_COOKIE)
    if not pre or not secrets.compare_digest(csrf, csrf_for(pre)):
        raise CsrfRefused


@router.get("/", include_in_schema=False)
async def home() -> RedirectResponse:
    return RedirectResponse("/oversigt", status_code=303)


@router.get("/login", include_in_schema=False)
async def login_page(request: Request, next: str | None = None) -> Response:  # noqa: A002
    return _form_page(request, "login.html", {"next": _safe_next(next), "phone": "", "error": None})


@router.post("/login", include_in_schema=False)
async def ask_for_code(
    request: Request,
    session: WriteSession,
    phone: Annotated[str, Form(max_length=40)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/oversigt",  # noqa: A002
) -> Response:
    _check_pre(request, csrf)
    context = {"next": _safe_next(next), "phone": phone.strip()}
    try:
        await signin.request_code(
            session,
            phone,
            _client(request),
            playbook=request.app.state.runtime.activation_config.playbook,
            now=utcnow(),
        )
    except InvalidInput:
        error = "Skriv et dansk mobilnummer med 8 cifre, fx 20 12 34 56."
        return _form_page(request, "login.html", {**context, "error": error}, status=422)
    return _form_page(request, "login_code.html", {**context, "error": None})


@router.post("/login/kode", include_in_schema=False)
async def check_code(
    request: Request,
    session: WriteSession,
    phone: Annotated[str, Form(max_length=40)] = "",
    code: Annotated[str, Form(max_length=20)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/oversigt",  # noqa: A002
) -> Response:
    _check_pre(request, csrf)
    context = {"next": _safe_next(next), "phone": phone.strip()}
    digits = "".join(ch for ch in code if ch.isdigit())
    agent = request.headers.get("user-agent", "")[:200]
    try:
        result, token = await signin.sign_in(
            session, phone, digits, _client(request), agent, now=utcnow()
        )
    except InvalidInput:
        result, token = signin.SignInResult.wrong_code, None
    if token is None:
        error = (
            "Koden er ikke længere gyldig. Bed om en ny kode."
            if result is signin.SignInResult.no_code
            else "Koden passer ikke. Prøv igen."
        )
        return _form_page(request, "login_code.html", {**context, "error": error}, status=422)
    answer = RedirectResponse(context["next"], status_code=303)
    answer.set_cookie(
        COOKIE,
        token,
        max_age=SESSION_MAX_AGE,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/",
    )
    answer.delete_cookie(PRE_COOKIE, path="/")
    return answer


@router.post("/logout", include_in_schema=False)
async def logout(
    request: Request, me: Annotated[Identity, Depends(identity)], session: WriteSession
) -> RedirectResponse:
    del me  # signed in (whatever roles are left) and the CSRF token checked
    await signin.sign_out(session, request.cookies.get(COOKIE, ""), now=utcnow())
    answer = RedirectResponse("/login?ude=1", status_code=303)
    answer.delete_cookie(COOKIE, path="/")
    return answer
