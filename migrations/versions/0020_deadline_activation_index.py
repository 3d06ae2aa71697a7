"""deadlines found by their activation (issue 18): the action cards' due row taken after the
endorsement's commit, a stand-down's cancel and an endorsement's cancel of its reminders each
read every pending deadline through the index on the status alone, however many pages were open

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_deadline_activation_id', 'deadline', ['activation_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_deadline_activation_id', table_name='deadline')
