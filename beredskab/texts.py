"""Bounded text types for input: stripped, not blank, and short enough for their column.

A reason of only spaces, or a name longer than what it is written into, is refused at the edge
as a 422 naming the field, not stored as "" or failed on by the database.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

# Spaces around the text are stripped before the length is counted; only spaces is refused.
# Said in the OpenAPI document as a pattern: at least one character that is not a space.
_NOT_BLANK = Field(json_schema_extra={"pattern": r"\S"})

# why a record is changed after the fact, a shift rejected or cancelled...
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000), _NOT_BLANK
]
# an agent named when a municipality confirms a shift: 50 of them fit one log entry
AgentName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60), _NOT_BLANK
]
# a title or a person's name typed into a form: never only spaces
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), _NOT_BLANK
]
