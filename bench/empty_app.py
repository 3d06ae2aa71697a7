"""Baseline for the activation benchmark: the cheapest possible FastAPI POST."""

from fastapi import FastAPI

app = FastAPI()


@app.post("/echo")
async def echo(body: dict) -> dict:
    return {"ok": True}
