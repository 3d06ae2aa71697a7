"""An activation for console tests, made as people make it: Odder asks through its page, a
steering member endorses (through the service, as an SMS reply would)."""

from __future__ import annotations

from beredskab.lifecycle.endorsement import endorse
from beredskab.metadata import utcnow

ODDER = "p075"
STEERING = "p012"


async def endorsed_activation(app, as_person) -> str:  # noqa: ANN001
    """The id of an active activation of Odder Kommune (its action cards made)."""
    odder = await as_person(ODDER)
    made = await odder.post(
        "/oversigt/anmod",
        {
            "title": "Vandforsyning svigter",
            "contact_name": "Frida Bak",
            "contact_phone": "20123456",
            "channels": "phone",
        },
    )
    activation_id = made.headers["location"].rsplit("/", 1)[1]
    async with app.state.sessionmaker() as session:
        await endorse(
            session,
            app.state.runtime.activation_config,
            activation_id,
            by="Søren Madsen",
            person_id=STEERING,
            via="test",
            now=utcnow(),
        )
    return activation_id
