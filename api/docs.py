"""The API's own documentation pages (`/docs`, `/redoc`), served with scripts and styles vendored
into `api/static/vendor` at pinned versions: nothing is fetched from a CDN, so they work offline
(FastAPI's defaults load Swagger UI and ReDoc, and ReDoc's fonts, from the internet)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent / "static"
SWAGGER = "/static/vendor/swagger-ui-dist-5.32.0"
REDOC = "/static/vendor/redoc-2.5.1"


def install_docs(app: FastAPI) -> None:
    """Mount the static files and the two documentation pages (call with docs_url=None and
    redoc_url=None given to FastAPI, so its CDN-loading defaults are not registered)."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} – API",
            swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER}/favicon-32x32.png",
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} – API",
            redoc_js_url=f"{REDOC}/redoc.standalone.js",
            redoc_favicon_url=f"{SWAGGER}/favicon-32x32.png",
            with_google_fonts=False,
        )
