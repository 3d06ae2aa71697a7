"""Migrations: upgrade, downgrade and upgrade through every revision, then `alembic check`
finds no difference from the models, on SQLite and on PostgreSQL (a database of its own)."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from alembic import command
from alembic.script import ScriptDirectory

from beredskab.migrations_support import alembic_config
from tests.conftest import DATABASES, PG_URL


async def _recreate_pg(url: str) -> str:
    dsn = url.replace("postgresql+asyncpg", "postgresql")
    base, name = dsn.rsplit("/", 1)
    scratch = f"{name}_migrations"
    conn = await asyncpg.connect(f"{base}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{scratch}"')
    finally:
        await conn.close()
    return url.rsplit("/", 1)[0] + "/" + scratch


@pytest.mark.parametrize("kind", DATABASES)
def test_stairway_and_check_on_an_empty_database(kind, tmp_path):
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/migrations.db"
    else:
        url = asyncio.run(_recreate_pg(PG_URL))
    cfg = alembic_config(url)
    revisions = list(reversed(list(ScriptDirectory.from_config(cfg).walk_revisions())))
    assert revisions, "no migrations"
    for rev in revisions:
        command.upgrade(cfg, rev.revision)
        command.downgrade(cfg, rev.down_revision or "base")
        command.upgrade(cfg, rev.revision)
    command.check(cfg)  # raises if the models and the migrated schema differ
