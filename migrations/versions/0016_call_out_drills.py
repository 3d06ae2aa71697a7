"""call-out drills: a drill over a group and its pages (issue 15.3)

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('drill',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group', sa.String(length=30), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('call_after_minutes', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('schedule_rule', sa.String(length=100), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drill'))
    )
    op.create_index(op.f('ix_drill_started_at'), 'drill', ['started_at'], unique=False)
    op.create_index(
        'uq_drill_one_open',
        'drill',
        ['status'],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_table('drill_page',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('drill_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('groups', sa.String(length=100), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('channel', sa.String(length=10), nullable=True),
    sa.Column('call_requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['drill_id'], ['drill.id'], name=op.f('fk_drill_page_drill_id_drill')),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], name=op.f('fk_drill_page_outbox_id_outbox')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_drill_page_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drill_page')),
    sa.UniqueConstraint('drill_id', 'code', name=op.f('uq_drill_page_drill_id_code')),
    sa.UniqueConstraint('drill_id', 'person_id', name=op.f('uq_drill_page_drill_id_person_id'))
    )
    op.create_index(op.f('ix_drill_page_drill_id'), 'drill_page', ['drill_id'], unique=False)
    op.create_index('ix_drill_page_person_code', 'drill_page', ['person_id', 'code'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_drill_page_person_code', table_name='drill_page')
    op.drop_index(op.f('ix_drill_page_drill_id'), table_name='drill_page')
    op.drop_table('drill_page')
    op.drop_index('uq_drill_one_open', table_name='drill')
    op.drop_index(op.f('ix_drill_started_at'), table_name='drill')
    op.drop_table('drill')
