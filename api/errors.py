"""The one mapping from errors to RFC 9457 problem+json responses."""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from beredskab.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound, TryAgain

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

STATUS_OF: dict[type[DomainError], int] = {
    NotFound: 404,
    Conflict: 409,
    Forbidden: 403,
    InvalidInput: 422,
}


class FieldError(BaseModel):
    """One bad input: which field (`shifts[0].start`, `to`, `body`) and why."""

    field: str = Field(examples=["to"])
    reason: str = Field(examples=["must be after from"])


class Problem(BaseModel):
    """An error answer, RFC 9457 `application/problem+json`: what `problem` below writes."""

    type: str = Field(default="about:blank")
    title: str = Field(examples=["Invalid input"])
    status: int = Field(ge=400, le=599, examples=[422])
    detail: str = Field(examples=["to: must be after from"])
    instance: str | None = Field(default=None, description="the path that was asked")
    errors: list[FieldError] | None = Field(
        default=None, description="with 422 only: each bad field and why"
    )


def problem(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    instance: str | None = None,
    errors: list[dict] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_name(loc: tuple | list, error_type: str = "") -> str:
    # ("body", "shifts", 0, "start") -> "shifts[0].start"; query/path/header keep their name.
    if error_type == "json_invalid":  # loc is ("body", <character offset>): not a field
        return "body"
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "body"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        status = next((s for t, s in STATUS_OF.items() if isinstance(exc, t)), 400)
        errors = None
        if isinstance(exc, InvalidInput):
            errors = [{"field": p.field, "reason": p.reason} for p in exc.problems]
        again = {"Retry-After": "0"} if isinstance(exc, TryAgain) else None
        return problem(
            status,
            exc.detail,
            title=exc.title,
            instance=request.url.path,
            errors=errors,
            headers=again,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": _field_name(e.get("loc", ()), e.get("type", "")),
                "reason": e.get("msg", "is invalid"),
            }
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
        return problem(422, detail, title="Invalid input", instance=request.url.path, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(
            exc.status_code,
            str(exc.detail),
            instance=request.url.path,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(
            500,
            "An unexpected error occurred; it has been logged. Nothing was changed.",
            instance=request.url.path,
        )
