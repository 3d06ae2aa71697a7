"""Baselines: the cheapest possible FastAPI POSTs, JSON (activations) and form (webhooks)."""

from fastapi import FastAPI, Request, Response

app = FastAPI()


@app.post("/echo")
async def echo(body: dict) -> dict:
    return {"ok": True}


@app.post("/echo-form")
async def echo_form(request: Request) -> Response:
    await request.form()
    return Response("<Response/>", media_type="application/xml")
