"""`db.taken_key`: a unique key of the table a use case writes, taken by another writer, is a
race a retry may cure; a missing row a foreign key names, or another table's key, is a fault,
not retried (`request_activation` retries only the first)."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from beredskab import direct
from beredskab.activations.models import Page
from beredskab.db import taken_key
from beredskab.directory.models import Organisation
from beredskab.metadata import utcnow
from beredskab.unit_of_work import transaction
from tests.factories import make_org

pytestmark = pytest.mark.db


async def test_a_taken_key_is_told_from_a_missing_row(db):
    async with db.sessionmaker() as session:
        org = await make_org(session)
    # through the ORM
    with pytest.raises(IntegrityError) as taken:
        async with db.sessionmaker() as session, transaction(session):
            session.add(Organisation(id=org.id, name="Igen", kind=org.kind))
    assert taken_key(taken.value, "organisation")
    assert not taken_key(taken.value, "activation")  # another table's key: not retried there
    row = {c.key: None for c in Page.__table__.c if not c.primary_key}
    row.update(
        activation_id="no-such-activation",
        purpose="role",
        person_id="nobody",
        phone="+4550000000",
        code="1234",
        rank=0,
        pass_no=1,
        state="open",
        created_at=utcnow(),
    )
    # directly (the page path's statements): a foreign key to nothing
    with pytest.raises(IntegrityError) as missing:
        async with db.sessionmaker() as session, transaction(session):
            await session.run_sync(direct.insert_rows_sync, Page.__table__, [row])
    assert not taken_key(missing.value, "page")
