"""one tariff in force per date

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        'uq_tariff_in_force',
        'tariff',
        ['valid_from'],
        unique=True,
        sqlite_where=sa.text('superseded_at IS NULL'),
        postgresql_where=sa.text('superseded_at IS NULL'),
    )


def downgrade() -> None:
    op.drop_index('uq_tariff_in_force', table_name='tariff')
