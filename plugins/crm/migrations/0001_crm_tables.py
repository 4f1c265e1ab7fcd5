"""crm tables: 回款同步记录 (crm_payment) and 回款查询 (crm_query)

Revision ID: 0001_crm
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = '0001_crm'
down_revision = None
branch_labels = ('crm',)
depends_on = ('0001_subscription',)

MONEY = sa.Numeric(precision=18, scale=2)


def upgrade():
    op.create_table('crm_payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('amount', MONEY, nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('reversed', sa.Boolean(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('synced_revision', sa.Integer(), nullable=False),
    sa.Column('data_id', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('claimed_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('synced_at', sa.DateTime(), nullable=True),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['core_group_company.id'], name=op.f('fk_crm_payment_group_id_core_group_company')),
    sa.ForeignKeyConstraint(['project_id'], ['core_project.id'], name=op.f('fk_crm_payment_project_id_core_project')),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_crm_payment_user_id_core_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_payment')),
    sa.UniqueConstraint('group_id', 'key', name=op.f('uq_crm_payment_group_id_key'))
    )
    with op.batch_alter_table('crm_payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_payment_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_payment_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_payment_state'), ['state'], unique=False)

    op.create_table('crm_query',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('filters', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('rows', sa.Text(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('truncated', sa.Boolean(), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=False),
    sa.Column('requested_by', sa.String(length=60), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['core_group_company.id'], name=op.f('fk_crm_query_group_id_core_group_company')),
    sa.ForeignKeyConstraint(['project_id'], ['core_project.id'], name=op.f('fk_crm_query_project_id_core_project')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_query'))
    )
    with op.batch_alter_table('crm_query', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_query_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_query_project_id'), ['project_id'], unique=False)


def downgrade():
    with op.batch_alter_table('crm_query', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_query_project_id'))
        batch_op.drop_index(batch_op.f('ix_crm_query_group_id'))
    op.drop_table('crm_query')
    with op.batch_alter_table('crm_payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_payment_state'))
        batch_op.drop_index(batch_op.f('ix_crm_payment_project_id'))
        batch_op.drop_index(batch_op.f('ix_crm_payment_group_id'))
    op.drop_table('crm_payment')
