"""Liveness, readiness and metrics."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field

from api.deps import SessionDep
from api.errors import problem
from api.openapi import problems
from beredskab import metrics
from beredskab.metadata import utcnow
from beredskab.migrations_support import current_revisions, head_revisions

router = APIRouter(tags=["health"])


class Ready(BaseModel):
    status: Literal["ready"]
    revision: list[str] = Field(description="the database's migration heads")


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> dict:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: the database answers and its schema is at the migrations' head",
    responses={
        200: {"model": Ready},
        **problems(503, s503="Not ready: the problem's detail names the reason"),
    },
)
async def readyz(request: Request) -> JSONResponse:
    try:
        async with request.app.state.engine.connect() as conn:
            current = await conn.run_sync(current_revisions)
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        return problem(503, f"database unreachable: {type(exc).__name__}")
    heads = head_revisions()
    if current != heads:
        return problem(
            503,
            f"database schema at {sorted(current) or 'nothing'}, expected {sorted(heads)}: "
            "run `beredskab migrate`",
        )
    return JSONResponse({"status": "ready", "revision": sorted(current)})


@router.get(
    "/metrics",
    summary="Prometheus metrics: aggregate counts only (no names, numbers or texts)",
    response_class=PlainTextResponse,
)
async def prometheus_metrics(session: SessionDep) -> PlainTextResponse:
    return PlainTextResponse(
        await metrics.render(session, utcnow()), media_type="text/plain; version=0.0.4"
    )
