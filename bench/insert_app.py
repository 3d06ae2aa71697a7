"""Baseline for the log-append benchmark: a minimal FastAPI route inserting one row into the
same database (same engine settings), so the ratio shows our own overhead."""

from __future__ import annotations

import os
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Column, Integer, MetaData, String, Table, insert

from beredskab.db import make_engine

metadata = MetaData()
rows = Table(
    "bench_row", metadata, Column("id", Integer, primary_key=True), Column("text", String(4000))
)
engine = make_engine(os.environ["DATABASE_URL"])


@asynccontextmanager
async def lifespan(app: FastAPI):  # noqa: ANN201
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield
    await engine.dispose()


app = FastAPI(lifespan=lifespan)


@app.post("/insert", status_code=201)
async def insert_row(body: dict) -> dict:
    async with engine.begin() as conn:
        await conn.execute(insert(rows).values(text=body.get("text", "")))
    return {"ok": True}
