"""The web entrypoint: `create_app(settings)` builds the FastAPI app around a `Runtime` (the
composition root in `beredskab.runtime`), its routers, error table and request limits."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from api.deps import refuse_nul
from api.docs import install_docs
from api.errors import install_error_handlers
from api.limits import BodyLimit
from api.openapi import install_openapi
from api.routers import (
    activations,
    authorities,
    calendar,
    costs,
    debrief,
    delegates,
    dev,
    directory,
    drills,
    eventlog,
    finance,
    health,
    invoices,
    shifts,
    stats,
    tasks,
    tokens,
    webhooks,
)
from beredskab.runtime import Runtime
from beredskab.settings import Settings, get_settings
from notifications.gateway import SmsGateway
from web.app import install_web

log = logging.getLogger(__name__)

DESCRIPTION = """
DDH Beredskab: crisis activation for Den Digitale Hotline.

Every request carries `Authorization: Bearer <token>`; tokens carry one role
(`authority`, `steering`, `crisis_staff`, `finance`, `admin`). Errors are
`application/problem+json` (RFC 9457); validation errors name each bad field in `errors`.
"""


def create_app(settings: Settings | None = None, *, gateway: SmsGateway | None = None) -> FastAPI:
    """Build the app. `gateway` overrides the one settings pick (tests hand in a fake)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime(settings, gateway=gateway)
        app.state.runtime = runtime
        app.state.engine = runtime.engine
        app.state.sessionmaker = runtime.sessionmaker
        app.state.read_sessionmaker = runtime.read_sessionmaker
        if settings.run_worker_in_process:
            runtime.start_background()
        try:
            yield
        finally:
            await runtime.aclose()

    app = FastAPI(
        title="DDH Beredskab",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        dependencies=[Depends(refuse_nul)],
        docs_url=None,  # served by api/docs.py from vendored files, not a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    install_error_handlers(app)
    install_docs(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    app.include_router(health.router)
    app.include_router(directory.router)
    app.include_router(tokens.router)
    app.include_router(activations.router)
    app.include_router(webhooks.router)
    app.include_router(authorities.router)
    app.include_router(eventlog.router)
    app.include_router(delegates.router)
    app.include_router(tasks.router)
    app.include_router(calendar.router)
    app.include_router(shifts.router)
    app.include_router(costs.router)
    app.include_router(debrief.router)
    app.include_router(finance.router)
    app.include_router(stats.router)
    app.include_router(drills.router)
    app.include_router(invoices.router)
    if settings.dev_mode:
        app.include_router(dev.router)
    install_web(app)  # after the API's error handlers: it answers its own paths with pages
    install_openapi(app)
    return app
