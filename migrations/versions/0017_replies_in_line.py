"""replies in line: when an inbound SMS was processed, and an index on those kept for later
(issue 18, P8)

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        'inbound_sms', sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True)
    )
    op.create_index(
        'ix_inbound_sms_in_line',
        'inbound_sms',
        ['received_at'],
        unique=False,
        sqlite_where=sa.text("outcome = 'in_line'"),
        postgresql_where=sa.text("outcome = 'in_line'"),
    )


def downgrade() -> None:
    op.drop_index('ix_inbound_sms_in_line', table_name='inbound_sms')
    op.drop_column('inbound_sms', 'processed_at')
