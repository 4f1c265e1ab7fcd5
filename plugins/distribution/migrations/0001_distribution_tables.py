"""distribution tables: 分配账户, 分配批次, 分配明细

Revision ID: 0001_distribution
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = '0001_distribution'
down_revision = None
branch_labels = ('distribution',)
depends_on = ('0001_subscription',)

MONEY = sa.Numeric(precision=18, scale=2)


def upgrade():
    op.create_table('distribution_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('holder', sa.String(length=120), nullable=False),
    sa.Column('bank', sa.String(length=120), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['core_group_company.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id')
    )
    op.create_index(op.f('ix_distribution_account_group_id'), 'distribution_account', ['group_id'], unique=False)
    op.create_table('distribution_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('distributed_on', sa.Date(), nullable=True),
    sa.Column('net_profit', MONEY, nullable=True),
    sa.Column('ratio', sa.Numeric(precision=7, scale=3), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('by_hand', sa.Boolean(), nullable=False),
    sa.Column('approved_at', sa.DateTime(), nullable=True),
    sa.Column('notified_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['core_group_company.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['core_project.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'kind', 'number')
    )
    op.create_index(op.f('ix_distribution_batch_group_id'), 'distribution_batch', ['group_id'], unique=False)
    op.create_index(op.f('ix_distribution_batch_project_id'), 'distribution_batch', ['project_id'], unique=False)
    op.create_table('distribution_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('tier', sa.String(length=12), nullable=False),
    sa.Column('principal', MONEY, nullable=False),
    sa.Column('interest', MONEY, nullable=False),
    sa.Column('other', MONEY, nullable=False),
    sa.Column('profit', MONEY, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['distribution_batch.id'], ),
    sa.ForeignKeyConstraint(['group_id'], ['core_group_company.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['core_project.id'], ),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscription_subscription.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('batch_id', 'subscription_id')
    )
    for column in ('batch_id', 'group_id', 'project_id', 'user_id'):
        op.create_index(op.f(f'ix_distribution_line_{column}'), 'distribution_line', [column], unique=False)


def downgrade():
    op.drop_table('distribution_line')
    op.drop_table('distribution_batch')
    op.drop_table('distribution_account')
