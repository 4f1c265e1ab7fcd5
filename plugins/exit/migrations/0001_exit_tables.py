"""exit tables: 离职退休测算, 退出, 平台公司持有份额

Revision ID: 0001_exit
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = '0001_exit'
down_revision = None
branch_labels = ('exit',)
depends_on = ('0001_distribution',)

MONEY = sa.Numeric(precision=18, scale=2)


def _tenant():
    return [sa.Column('group_id', sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(['group_id'], ['core_group_company.id'], ),
            sa.PrimaryKeyConstraint('id')]


def upgrade():
    op.create_table('exit_calculation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('exit_on', sa.Date(), nullable=False),
    sa.Column('keep', sa.Boolean(), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('total', MONEY, nullable=False),
    sa.Column('created_by', sa.String(length=60), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['core_project.id'], ),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscription_subscription.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], ),
    *_tenant())
    for column in ('group_id', 'project_id', 'subscription_id', 'user_id'):
        op.create_index(op.f(f'ix_exit_calculation_{column}'), 'exit_calculation', [column], unique=False)
    op.create_table('exit_exit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('calculation_id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('exit_on', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('transferred_at', sa.DateTime(), nullable=True),
    sa.Column('transferred', MONEY, nullable=True),
    sa.Column('payout', MONEY, nullable=True),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('payout_reason', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['core_project.id'], ),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscription_subscription.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], ),
    sa.ForeignKeyConstraint(['calculation_id'], ['exit_calculation.id'], ),
    sa.ForeignKeyConstraint(['process_id'], ['core_process.id'], ),
    *_tenant())
    for column in ('group_id', 'project_id', 'subscription_id', 'user_id', 'process_id'):
        op.create_index(op.f(f'ix_exit_exit_{column}'), 'exit_exit', [column], unique=False)
    op.create_table('exit_platform_holding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('amount', MONEY, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['core_project.id'], ),
    sa.ForeignKeyConstraint(['company_id'], ['core_company.id'], ),
    sa.UniqueConstraint('project_id'),
    *_tenant())
    op.create_index(op.f('ix_exit_platform_holding_group_id'), 'exit_platform_holding', ['group_id'], unique=False)


def downgrade():
    op.drop_table('exit_platform_holding')
    op.drop_table('exit_exit')
    op.drop_table('exit_calculation')
