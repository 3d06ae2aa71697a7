"""never two open pages of one person with one reply code (a race of two transactions drawing
codes at the same moment): a partial unique index, which a use case that meets it retries

Revision ID: 0021
Revises: 0020
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = "state = 'open'"


def upgrade() -> None:
    # run at a deploy, like every migration here (`make run`, the release's `beredskab
    # migrate`): with the service stopped, nothing can page between the check and the index
    # codes already sent cannot be changed: if the race has happened, say so and stop, so the
    # pages can be answered or closed first (they time out within their role's minutes)
    twice = op.get_bind().execute(
        sa.text(
            "SELECT person_id, code FROM page WHERE " + _OPEN
            + " GROUP BY person_id, code HAVING count(*) > 1"
        )
    ).all()
    if twice:
        held = ", ".join(f"{person} ({code})" for person, code in twice[:10])
        raise RuntimeError(
            f"open pages share a reply code with another open page of the same person: {held}; "
            "answer or close them, then migrate again"
        )
    op.create_index(
        'uq_page_open_person_code',
        'page',
        ['person_id', 'code'],
        unique=True,
        sqlite_where=sa.text(_OPEN),
        postgresql_where=sa.text(_OPEN),
    )


def downgrade() -> None:
    op.drop_index('uq_page_open_person_code', table_name='page')
