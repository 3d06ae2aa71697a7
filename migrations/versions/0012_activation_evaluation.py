"""activation evaluation: the crisis leader's structured evaluation after stand-down

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('activation_evaluation',
    sa.Column('activation_id', sa.String(length=36), nullable=False),
    sa.Column('average_wait_seconds', sa.Integer(), nullable=True),
    sa.Column('longest_wait_seconds', sa.Integer(), nullable=True),
    sa.Column('calls_answered', sa.Integer(), nullable=True),
    sa.Column('chats_answered', sa.Integer(), nullable=True),
    sa.Column('guides', sa.JSON(), nullable=False),
    sa.Column('citizen_impact', sa.Text(), nullable=False),
    sa.Column('went_well', sa.Text(), nullable=False),
    sa.Column('to_change', sa.Text(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['activation_id'], ['activation.id'], name=op.f('fk_activation_evaluation_activation_id_activation')),
    sa.PrimaryKeyConstraint('activation_id', name=op.f('pk_activation_evaluation'))
    )


def downgrade() -> None:
    op.drop_table('activation_evaluation')
