"""Shifts as iCalendar (RFC 5545) so volunteers see them in Outlook: one file, or a feed.

A cancelled shift stays in the feed with STATUS:CANCELLED, so calendars that already hold it
remove it instead of keeping a ghost appointment (the December 2024 lesson, the other way round).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from icalendar import Calendar, Event

PRODID = "-//Den Digitale Hotline//DDH Beredskab//DA"


@dataclass(frozen=True)
class ShiftEvent:
    uid: str
    start: datetime
    end: datetime
    summary: str
    description: str
    cancelled: bool
    sequence: int
    stamp: datetime


def calendar(name: str, events: Iterable[ShiftEvent]) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    for item in events:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", item.stamp)
        event.add("dtstart", item.start)
        event.add("dtend", item.end)
        event.add("summary", item.summary)
        event.add("description", item.description)
        event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
        event.add("sequence", item.sequence)
        cal.add_component(event)
    return cal.to_ical()
