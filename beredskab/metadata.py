"""Shared SQLModel metadata with a naming convention, so constraints match on SQLite and PostgreSQL.

Every models module imports this first; `beredskab.models` imports every models module.
"""

from datetime import UTC, datetime

from sqlmodel import SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = SQLModel.metadata
# the largest value of an INTEGER column (ids, log seqs): a bigger one from outside is refused
MAX_INTEGER = 2_147_483_647


def utcnow() -> datetime:
    return datetime.now(UTC)
