"""sign-in codes, web sessions, grants

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('login_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('person_id', sa.String(length=64), nullable=True),
    sa.Column('code_hash', sa.String(length=64), nullable=True),
    sa.Column('client', sa.String(length=64), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_login_code_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_code'))
    )
    op.create_index('ix_login_code_client_issued_at', 'login_code', ['client', 'issued_at'], unique=False)
    op.create_index(op.f('ix_login_code_issued_at'), 'login_code', ['issued_at'], unique=False)
    op.create_index('ix_login_code_phone_issued_at', 'login_code', ['phone', 'issued_at'], unique=False)
    op.create_table('person_grant',
    sa.Column('person_id', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_person_grant_person_id_person')),
    sa.PrimaryKeyConstraint('person_id', 'role', name=op.f('pk_person_grant'))
    )
    op.create_table('web_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('client', sa.String(length=64), nullable=False),
    sa.Column('user_agent', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_web_session_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_session'))
    )
    op.create_index(op.f('ix_web_session_person_id'), 'web_session', ['person_id'], unique=False)
    op.create_index(op.f('ix_web_session_token_hash'), 'web_session', ['token_hash'], unique=True)
    # batch: SQLite cannot add a foreign key to a table in place
    with op.batch_alter_table('activation') as batch:
        batch.add_column(sa.Column('created_by_person_id', sa.String(length=64), nullable=True))
        batch.create_foreign_key(op.f('fk_activation_created_by_person_id_person'), 'person', ['created_by_person_id'], ['id'])
    op.create_index('uq_activation_person_idempotency_key', 'activation', ['created_by_person_id', 'idempotency_key'], unique=True, sqlite_where=sa.text('created_by_token_id IS NULL'), postgresql_where=sa.text('created_by_token_id IS NULL'))


def downgrade() -> None:
    op.drop_index('uq_activation_person_idempotency_key', table_name='activation', sqlite_where=sa.text('created_by_token_id IS NULL'), postgresql_where=sa.text('created_by_token_id IS NULL'))
    with op.batch_alter_table('activation') as batch:
        batch.drop_constraint(op.f('fk_activation_created_by_person_id_person'), type_='foreignkey')
        batch.drop_column('created_by_person_id')
    op.drop_index(op.f('ix_web_session_token_hash'), table_name='web_session')
    op.drop_index(op.f('ix_web_session_person_id'), table_name='web_session')
    op.drop_table('web_session')
    op.drop_table('person_grant')
    op.drop_index('ix_login_code_phone_issued_at', table_name='login_code')
    op.drop_index(op.f('ix_login_code_issued_at'), table_name='login_code')
    op.drop_index('ix_login_code_client_issued_at', table_name='login_code')
    op.drop_table('login_code')
