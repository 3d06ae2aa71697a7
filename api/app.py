"""The composition root: `create_app(settings)` wires engine, SMS gateway, dispatcher, scheduler."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.errors import install_error_handlers
from api.routers import directory, health, tokens
from beredskab.db import make_engine, make_sessionmaker
from beredskab.settings import Settings, get_settings

log = logging.getLogger(__name__)

DESCRIPTION = """
DDH Beredskab: crisis activation for Den Digitale Hotline.

Every request carries `Authorization: Bearer <token>`; tokens carry one role
(`authority`, `steering`, `crisis_staff`, `finance`, `admin`). Errors are
`application/problem+json` (RFC 9457); validation errors name each bad field in `errors`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        try:
            yield
        finally:
            await engine.dispose()

    app = FastAPI(
        title="DDH Beredskab",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(directory.router)
    app.include_router(tokens.router)
    return app
