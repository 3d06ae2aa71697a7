"""Oversigt over HTTP: each activation's status, authority, request time with its age, roles
filled and the exercise badge."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from beredskab.activations.models import Activation
from beredskab.metadata import utcnow
from tests.web.activations import STEERING, endorsed_activation

pytestmark = pytest.mark.db


async def test_a_row_shows_the_age_of_the_activation(app, as_person):
    activation_id = await endorsed_activation(app, as_person)
    async with app.state.sessionmaker() as session:
        activation = await session.get(Activation, activation_id)
        activation.created_at = utcnow() - timedelta(hours=2, minutes=5, seconds=10)
        activation.exercise = True
        session.add(activation)
        await session.commit()
    steering = await as_person(STEERING)
    page = await steering.client.get("/oversigt")
    assert page.status_code == 200
    row = re.search(
        rf'<tr>\s*<td data-label="Aktivering"><a href="/aktivering/{activation_id}".*?</tr>',
        page.text,
        re.S,
    )[0]
    assert "for 2 t 5 min siden" in row
    assert '<span class="badge info">Øvelse</span>' in row
    assert '<span class="badge ok">Aktiv</span>' in row and "Odder Kommune" in row and "af 4" in row
