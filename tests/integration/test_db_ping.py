"""A pooled PostgreSQL connection that died (a restart, a dropped connection) costs no request
an error: each checkout tries it, with the transaction's own BEGIN, and replaces it if that
fails (`db._ping`)."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy import func
from sqlmodel import select

from beredskab.db import make_engine, make_sessionmaker
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(not PG_URL, reason="PostgreSQL only (TEST_DATABASE_URL)")


async def _backend(maker) -> int:  # noqa: ANN001 - a sessionmaker
    async with maker() as session:
        return (await session.exec(select(func.pg_backend_pid()))).one()


async def test_a_pooled_connection_killed_under_the_pool_is_replaced_without_an_error():
    engine = make_engine(PG_URL, pool_size=1, max_overflow=0)
    maker = make_sessionmaker(engine)
    try:
        first = await _backend(maker)
        assert await _backend(maker) == first  # the pool hands the same connection out again
        killer = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg", "postgresql"))
        try:
            assert await killer.fetchval("SELECT pg_terminate_backend($1)", first)
        finally:
            await killer.close()
        # the next request works, on a new connection
        second = await _backend(maker)
        assert second != first
        assert await _backend(maker) == second
    finally:
        await engine.dispose()


async def test_after_a_restart_every_dead_connection_is_replaced_and_no_request_fails():
    """All pooled connections dead at once (a restarted database): each is replaced before it
    is used, and no request fails."""
    engine = make_engine(PG_URL, pool_size=3, max_overflow=0)
    maker = make_sessionmaker(engine)
    try:
        sessions = [maker() for _ in range(3)]
        killed = set()
        for session in sessions:  # three connections in the pool at once
            killed.add((await session.exec(select(func.pg_backend_pid()))).one())
        for session in sessions:
            await session.close()
        assert len(killed) == 3
        killer = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg", "postgresql"))
        try:
            for pid in killed:
                assert await killer.fetchval("SELECT pg_terminate_backend($1)", pid)
        finally:
            await killer.close()
        after = [await _backend(maker) for _ in range(5)]
        assert not killed & set(after)
    finally:
        await engine.dispose()


async def test_the_try_is_the_transactions_own_begin_and_costs_no_round_trip_of_its_own():
    """A checkout's try is the BEGIN the session's first statement would have sent: a request
    pays no separate round trip to know its connection is alive (issue #18)."""
    engine = make_engine(PG_URL, pool_size=1, max_overflow=0)
    maker = make_sessionmaker(engine)
    sent: list[str] = []
    try:
        async with maker() as session:  # a new connection: not tried; then back in the pool
            conn = await session.connection()
            raw = (await conn.get_raw_connection()).driver_connection
            raw.add_query_logger(lambda record: sent.append(record.query.strip()))
        sent.clear()
        async with maker() as session:
            await session.connection()  # the checkout: its try is the BEGIN, sent now
            await asyncio.sleep(0)  # asyncpg calls its query loggers soon, not at once
            assert sent == ["BEGIN;"], sent
            first = (await session.exec(select(func.pg_backend_pid()))).one()
            await session.commit()
        # what the connection was sent as plain statements (a prepared one, the SELECT, is not
        # logged): one BEGIN, and no empty statement to try the connection
        assert sent == ["BEGIN;", "COMMIT;"], sent
        assert first == await _backend(maker)  # the same connection, tried and reused
    finally:
        await engine.dispose()
