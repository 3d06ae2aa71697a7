"""What /openapi.json says beyond what FastAPI infers from the routes: the problem+json answers
every operation can give, and the one Problem schema they share.

A router declares the answers only its use case can give (`responses=problems(404, 409)`); the
answers that come from the app's own machinery are added here, to every operation they apply
to, so no route can forget them:

- 422 everywhere: FastAPI's validation and the NUL check (`api.deps.refuse_nul`) run on every
  route, and their answer is our Problem, not FastAPI's `HTTPValidationError`;
- 401 and 403 on every operation that takes a bearer token (the role check);
- 400, 401 and 413 on every operation with a body (`api.limits.BodyLimit`: a Content-Length that
  is not a number, a JSON body sent without credentials, a body over `MAX_REQUEST_BYTES`).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.errors import PROBLEM_JSON, FieldError, Problem

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

WHY: dict[int, str] = {
    400: "A body that cannot be parsed (not UTF-8 text), or a Content-Length that is not a number",
    401: "No bearer token, or one that is unknown or revoked (or a JSON body sent without one)",
    403: "The token's role may not do this, or the record is another organisation's",
    404: "No such record, or none the caller may see",
    409: "The record's state does not allow this now (the problem's detail says which state)",
    413: "The body is larger than `MAX_REQUEST_BYTES`; refused before it is read",
    422: "Invalid input: `errors` names each bad field (`body`, `to`, `shifts[0].start`) and why",
}
# the costs are computed from the rate in force on each day worked: the rate is data
NO_RATE = "No DDH hourly rate is in force on a day worked (finance must enter one: POST /tariffs)"
_WITH_BODY = frozenset({"post", "put", "patch", "delete"})


def problems(*statuses: int, **why: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each status answered with a Problem. A keyword `s409="…"` says
    why this route gives it, where the generic reason in WHY would not tell a client enough."""
    return {
        status: {
            "description": why[f"s{status}"] if f"s{status}" in why else WHY[status],
            "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}},
        }
        for status in statuses
    }


def _declare_problems(operation: dict[str, Any], method: str) -> None:
    responses = operation.setdefault("responses", {})
    wanted = {422}
    if operation.get("security"):
        wanted |= {401, 403}
    if method in _WITH_BODY:
        wanted |= {400, 401, 413}
    # FastAPI's own 422 describes its HTTPValidationError; ours is a Problem
    fastapi_422 = responses.get("422", {}).get("description") == "Validation Error"
    for status in sorted(wanted):
        if str(status) not in responses or (status == 422 and fastapi_422):
            responses[str(status)] = problems(status)[status]
    # the statuses in order, as a reader scans them
    operation["responses"] = dict(sorted(responses.items()))


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document with the problem answers declared (see the module docstring)."""
    if app.openapi_schema:
        return app.openapi_schema
    doc = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    for path_item in doc.get("paths", {}).values():
        for method, operation in path_item.items():
            _declare_problems(operation, method)
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    ref = "#/components/schemas/{model}"
    schemas["FieldError"] = FieldError.model_json_schema(ref_template=ref)
    schemas["Problem"] = Problem.model_json_schema(ref_template=ref)
    schemas["Problem"].pop("$defs", None)
    app.openapi_schema = doc
    return doc


def install_openapi(app: FastAPI) -> None:
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]
