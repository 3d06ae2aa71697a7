"""log delegates: who else the crisis leader lets write in an activation's log

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('log_delegate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activation_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=64), nullable=False),
    sa.Column('added_by', sa.String(length=200), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('removed_by', sa.String(length=200), nullable=True),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['activation_id'], ['activation.id'], name=op.f('fk_log_delegate_activation_id_activation')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_log_delegate_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_log_delegate'))
    )
    op.create_index(op.f('ix_log_delegate_activation_id'), 'log_delegate', ['activation_id'], unique=False)
    op.create_index(
        'uq_log_delegate_standing',
        'log_delegate',
        ['activation_id', 'person_id'],
        unique=True,
        sqlite_where=sa.text('removed_at IS NULL'),
        postgresql_where=sa.text('removed_at IS NULL'),
    )


def downgrade() -> None:
    op.drop_index('uq_log_delegate_standing', table_name='log_delegate')
    op.drop_index(op.f('ix_log_delegate_activation_id'), table_name='log_delegate')
    op.drop_table('log_delegate')
