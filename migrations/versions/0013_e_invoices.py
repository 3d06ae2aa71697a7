"""e-invoices: invoices, credit notes, number series, buyer reference

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('invoice_counter',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_invoice_counter'))
    )
    op.create_table('invoice',
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('debtor_id', sa.String(length=64), nullable=False),
    sa.Column('refers_to', sa.String(length=20), nullable=True),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('issue_date', sa.Date(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('total_ore', sa.BigInteger(), nullable=False),
    sa.Column('xml', sa.LargeBinary(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('state_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state_by', sa.String(length=200), nullable=False),
    sa.Column('state_note', sa.String(length=1000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['debtor_id'], ['organisation.id'], name=op.f('fk_invoice_debtor_id_organisation')),
    sa.ForeignKeyConstraint(['refers_to'], ['invoice.number'], name=op.f('fk_invoice_refers_to_invoice')),
    sa.PrimaryKeyConstraint('number', name=op.f('pk_invoice')),
    sa.UniqueConstraint('year', 'seq', name=op.f('uq_invoice_year_seq'))
    )
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_debtor_id'), ['debtor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_period_start'), ['period_start'], unique=False)

    op.create_table('invoice_activation',
    sa.Column('activation_id', sa.String(length=36), nullable=False),
    sa.Column('invoice_number', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['activation_id'], ['cost_final.activation_id'], name=op.f('fk_invoice_activation_activation_id_cost_final')),
    sa.ForeignKeyConstraint(['invoice_number'], ['invoice.number'], name=op.f('fk_invoice_activation_invoice_number_invoice')),
    sa.PrimaryKeyConstraint('activation_id', name=op.f('pk_invoice_activation'))
    )
    with op.batch_alter_table('invoice_activation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_activation_invoice_number'), ['invoice_number'], unique=False)

    op.create_table('invoice_adjustment',
    sa.Column('adjustment_id', sa.Integer(), nullable=False),
    sa.Column('invoice_number', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['adjustment_id'], ['cost_adjustment.id'], name=op.f('fk_invoice_adjustment_adjustment_id_cost_adjustment')),
    sa.ForeignKeyConstraint(['invoice_number'], ['invoice.number'], name=op.f('fk_invoice_adjustment_invoice_number_invoice')),
    sa.PrimaryKeyConstraint('adjustment_id', name=op.f('pk_invoice_adjustment'))
    )
    with op.batch_alter_table('invoice_adjustment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_adjustment_invoice_number'), ['invoice_number'], unique=False)

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('buyer_reference', sa.String(length=100), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('buyer_reference')

    with op.batch_alter_table('invoice_adjustment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_adjustment_invoice_number'))

    op.drop_table('invoice_adjustment')
    with op.batch_alter_table('invoice_activation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_activation_invoice_number'))

    op.drop_table('invoice_activation')
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_period_start'))
        batch_op.drop_index(batch_op.f('ix_invoice_debtor_id'))

    op.drop_table('invoice')
    op.drop_table('invoice_counter')
