"""A municipality's secret calendar-feed key: made (or replaced) by crisis staff or an admin,
stored as its SHA-256 only, and checked when the feed is read."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from beredskab.directory.models import Organisation, OrgKind
from beredskab.errors import NotFound
from beredskab.shifts.models import CalendarFeed
from beredskab.unit_of_work import transaction


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def rotate_feed_key(session: AsyncSession, org_id: str, *, by: str, now: datetime) -> str:
    """A new secret for the municipality's feed (the old URL stops working); returns the key,
    which is shown once. Commits."""
    async with transaction(session):
        org = await session.get(Organisation, org_id)
        if org is None or org.kind != OrgKind.municipality:
            raise NotFound(f"no municipality {org_id}")
        key = secrets.token_urlsafe(24)
        feed = await session.get(CalendarFeed, org_id)
        if feed is None:
            feed = CalendarFeed(org_id=org_id, key_hash=_hash(key), created_by=by, created_at=now)
        else:
            feed.key_hash, feed.created_by, feed.created_at = _hash(key), by, now
        session.add(feed)
    return key


async def feed_org(session: AsyncSession, org_id: str, key: str) -> Organisation | None:
    """The municipality whose feed `key` opens, or None (wrong key, unknown org)."""
    feed = await session.get(CalendarFeed, org_id)
    if feed is None or not secrets.compare_digest(feed.key_hash, _hash(key)):
        return None
    return await session.get(Organisation, org_id)
