"""Shared fixtures.

Every test that takes `db` runs once on SQLite and, when TEST_DATABASE_URL is set, again on
PostgreSQL. Each run gets a clean database at the migrations' head: SQLite copies a migrated
template file; PostgreSQL is migrated once per session and truncated before each test.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.db import make_engine, make_sessionmaker
from beredskab.migrations_support import upgrade_to_head
from beredskab.models import metadata
from beredskab.settings import Settings

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
DATABASES = ["sqlite"] + (["postgresql"] if PG_URL else [])

if os.environ.get("CI") and not PG_URL:
    raise pytest.UsageError("CI must set TEST_DATABASE_URL: the suite never skips PostgreSQL in CI")


@dataclass
class TestDB:
    kind: str
    url: str
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]


async def _reset_postgres(url: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Migrate each database once per session; tests then start from copies or truncation."""
    out: dict[str, str] = {}
    template = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade_to_head(f"sqlite+aiosqlite:///{template}")
    out["sqlite"] = str(template)
    if PG_URL:
        asyncio.run(_reset_postgres(PG_URL))
        upgrade_to_head(PG_URL)
        out["postgresql"] = PG_URL
    return out


_TABLES = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)


@pytest.fixture(params=DATABASES)
async def db(
    request: pytest.FixtureRequest, tmp_path: Path, migrated_templates: dict[str, str]
) -> AsyncIterator[TestDB]:
    kind = request.param
    if kind == "sqlite":
        path = tmp_path / "test.db"
        shutil.copyfile(migrated_templates["sqlite"], path)
        url = f"sqlite+aiosqlite:///{path}"
    else:
        url = migrated_templates["postgresql"]
    engine = make_engine(url)
    if kind == "postgresql":
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {_TABLES} RESTART IDENTITY CASCADE"))
    try:
        yield TestDB(kind, url, engine, make_sessionmaker(engine))
    finally:
        await engine.dispose()


@pytest.fixture
async def session(db: TestDB) -> AsyncIterator[AsyncSession]:
    async with db.sessionmaker() as s:
        yield s


def make_settings(db: TestDB, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": db.url,
        "sms_gateway": "fake",
        "run_worker_in_process": False,
        "public_base_url": "http://testserver",
        "dev_mode": True,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings(db: TestDB) -> Settings:
    return make_settings(db)


@pytest.fixture
async def app(settings: Settings):
    from api.app import create_app

    application = create_app(settings)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001
    """Print pass counts per database so CI shows both were exercised."""
    counts = {kind: 0 for kind in DATABASES}
    for report in terminalreporter.stats.get("passed", []):
        for kind in DATABASES:
            if (
                f"[{kind}" in report.nodeid
                or f"-{kind}]" in report.nodeid
                or f"-{kind}-" in report.nodeid
            ):
                counts[kind] += 1
    line = ", ".join(f"{kind}: {n} passed" for kind, n in counts.items())
    terminalreporter.write_line(f"database tests — {line}")
