"""the indexes of the page path (issue 18, P1): open pages' codes by one index on (state, code),
so a new code's check is 16 lookups where the planners read every open page through the index
on the state alone; and no index on activation_id beside a unique constraint that begins with
it (call-outs, pages, action tasks), which only cost each insert

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COVERED = ['role_callout', 'page', 'action_task']  # each unique (activation_id, …)


def upgrade() -> None:
    op.create_index('ix_page_state_code', 'page', ['state', 'code'], unique=False)
    op.drop_index('ix_page_state', table_name='page')
    for table in _COVERED:
        op.drop_index(f'ix_{table}_activation_id', table_name=table)


def downgrade() -> None:
    for table in _COVERED:
        op.create_index(f'ix_{table}_activation_id', table, ['activation_id'], unique=False)
    op.create_index('ix_page_state', 'page', ['state'], unique=False)
    op.drop_index('ix_page_state_code', table_name='page')
