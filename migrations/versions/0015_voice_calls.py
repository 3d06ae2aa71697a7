"""voice calls: the outbox's call code, and one outcome per CallSid

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        batch.add_column(sa.Column('ref', sa.String(length=64), nullable=True))
    op.create_table('voice_answer',
    sa.Column('call_sid', sa.String(length=64), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=False),
    sa.Column('page_id', sa.Integer(), nullable=True),
    sa.Column('activation_id', sa.String(length=36), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('detail', sa.String(length=200), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['activation_id'], ['activation.id'], name=op.f('fk_voice_answer_activation_id_activation')),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], name=op.f('fk_voice_answer_outbox_id_outbox')),
    sa.ForeignKeyConstraint(['page_id'], ['page.id'], name=op.f('fk_voice_answer_page_id_page')),
    sa.PrimaryKeyConstraint('call_sid', name=op.f('pk_voice_answer'))
    )
    op.create_index(op.f('ix_voice_answer_outbox_id'), 'voice_answer', ['outbox_id'], unique=False)
    op.create_index(op.f('ix_voice_answer_page_id'), 'voice_answer', ['page_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_voice_answer_page_id'), table_name='voice_answer')
    op.drop_index(op.f('ix_voice_answer_outbox_id'), table_name='voice_answer')
    op.drop_table('voice_answer')
    with op.batch_alter_table('outbox') as batch:
        batch.drop_column('ref')
