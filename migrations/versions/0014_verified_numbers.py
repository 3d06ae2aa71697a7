"""verified numbers: a person's phone is verified by an answered code, or marked unreachable

The numbers already in the directory are the ones in use: they are marked verified at upgrade
(a number added or changed from now on starts unverified).

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('person') as batch_op:
        batch_op.add_column(sa.Column('phone_verified_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('phone_code', sa.String(length=6), nullable=True))
        batch_op.add_column(sa.Column('phone_unreachable_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('phone_unreachable_reason', sa.String(length=200), nullable=True))
    op.execute(sa.text("UPDATE person SET phone_verified_at = CURRENT_TIMESTAMP"))


def downgrade() -> None:
    with op.batch_alter_table('person') as batch_op:
        batch_op.drop_column('phone_unreachable_reason')
        batch_op.drop_column('phone_unreachable_at')
        batch_op.drop_column('phone_code')
        batch_op.drop_column('phone_verified_at')
