"""mingdao tables

Revision ID: 0001_mingdao
Revises:
Create Date: 2026-11-28 21:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0001_mingdao'
down_revision = None
branch_labels = ('mingdao',)
depends_on = ('core',)


def upgrade():
    op.create_table('mingdao_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('remote_id', sa.String(length=64), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=False),
    sa.Column('claim', sa.String(length=32), nullable=False),
    sa.Column('claimed_at', sa.DateTime(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('changed_at', sa.DateTime(), nullable=True),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['core_group_company.id'], name=op.f('fk_mingdao_record_group_id_core_group_company')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mingdao_record')),
    sa.UniqueConstraint('group_id', 'kind', 'object_id', name=op.f('uq_mingdao_record_group_id_kind_object_id'))
    )
    with op.batch_alter_table('mingdao_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mingdao_record_group_id'), ['group_id'], unique=False)
    op.create_table('mingdao_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=60), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['core_group_company.id'], name=op.f('fk_mingdao_report_group_id_core_group_company')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mingdao_report'))
    )
    with op.batch_alter_table('mingdao_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mingdao_report_group_id'), ['group_id'], unique=False)


def downgrade():
    with op.batch_alter_table('mingdao_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mingdao_report_group_id'))
    op.drop_table('mingdao_report')
    with op.batch_alter_table('mingdao_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mingdao_record_group_id'))
    op.drop_table('mingdao_record')
