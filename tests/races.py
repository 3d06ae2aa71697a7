"""A race of two transactions drawing page codes, made on purpose (PostgreSQL: transactions run
side by side; SQLite's one writer runs them one after another, so there none can happen)."""

from __future__ import annotations

from beredskab.activations.models import Page, PagePurpose, PageState
from beredskab.roles import Role
from tests.factories import make_activation


def a_page(activation_id: str, person_id: str, code: str, state=PageState.open) -> Page:  # noqa: ANN001
    """A page row with the given code, as `new_code` would never give it (for a race)."""
    return Page(
        activation_id=activation_id,
        purpose=PagePurpose.role,
        role=Role.log_keeper,
        person_id=person_id,
        phone="+4528000000",
        code=code,
        state=state,
    )


def race_before(monkeypatch, sessionmaker, module, name: str, *, times: int = 1) -> list[tuple]:
    """Make `module.name` (it writes new pages: `insert_pages` or `create_page`) meet a race the
    first `times` times it runs: just before, another transaction commits an open page for the
    same person with the same code, in an activation of its own. Returns the (person, code)
    pairs raced."""
    original = getattr(module, name)
    raced_pairs: list[tuple] = []

    async def concurrent(person_id: str, code: str) -> None:
        async with sessionmaker() as other:
            elsewhere = await make_activation(other)
            other.add(a_page(elsewhere.id, person_id, code))
            await other.commit()
        raced_pairs.append((person_id, code))

    if name == "insert_pages":

        async def hooked(session, rows, **kw):  # noqa: ANN001, ANN202
            if len(raced_pairs) < times:
                await concurrent(rows[0]["person_id"], rows[0]["code"])
            return await original(session, rows, **kw)

    else:

        async def hooked(session, activation, purpose, person, now, *, flush=True, **kw):  # noqa: ANN001, ANN202
            page = await original(session, activation, purpose, person, now, flush=False, **kw)
            if len(raced_pairs) < times:
                await concurrent(person.id, page.code)
            if flush:
                await session.flush()
            return page

    monkeypatch.setattr(module, name, hooked)
    return raced_pairs
