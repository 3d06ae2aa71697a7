"""an index on page codes: a new code is checked against 16 candidates, not every open page
(issue 18, P1)

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_page_code', 'page', ['code'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_page_code', table_name='page')
