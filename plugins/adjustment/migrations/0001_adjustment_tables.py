"""adjustment tables: 立项调整 rounds and their lines

Revision ID: 0001_adjustment
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = '0001_adjustment'
down_revision = None
branch_labels = ('adjustment',)
depends_on = ('0001_subscription',)

MONEY = sa.Numeric(precision=18, scale=2)


def upgrade():
    op.create_table('adjustment_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('old_peak', MONEY, nullable=True),
    sa.Column('new_peak', MONEY, nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('payment_deadline', sa.Date(), nullable=True),
    sa.Column('source_key', sa.String(length=60), nullable=False),
    sa.Column('source_label', sa.String(length=120), nullable=False),
    sa.Column('peak_process_id', sa.Integer(), nullable=True),
    sa.Column('process_id', sa.Integer(), nullable=True),
    sa.Column('computed', sa.Boolean(), nullable=False),
    sa.Column('approved_at', sa.DateTime(), nullable=True),
    sa.Column('created_by', sa.String(length=60), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['core_group_company.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['core_project.id'], ),
    sa.ForeignKeyConstraint(['peak_process_id'], ['core_process.id'], ),
    sa.ForeignKeyConstraint(['process_id'], ['core_process.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'number')
    )
    op.create_index(op.f('ix_adjustment_round_group_id'), 'adjustment_round', ['group_id'], unique=False)
    op.create_index(op.f('ix_adjustment_round_project_id'), 'adjustment_round', ['project_id'], unique=False)
    op.create_table('adjustment_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=True),
    sa.Column('tier', sa.String(length=12), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('min_amount', MONEY, nullable=False),
    sa.Column('max_amount', MONEY, nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('subscribed_amount', MONEY, nullable=True),
    sa.Column('subscribed_at', sa.DateTime(), nullable=True),
    sa.Column('old_investment', MONEY, nullable=False),
    sa.Column('new_investment', MONEY, nullable=True),
    sa.Column('settled_amount', MONEY, nullable=False),
    sa.Column('settled_on', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['core_group_company.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['core_project.id'], ),
    sa.ForeignKeyConstraint(['round_id'], ['adjustment_round.id'], ),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscription_subscription.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('round_id', 'user_id'),
    sa.UniqueConstraint('token')
    )
    op.create_index(op.f('ix_adjustment_line_group_id'), 'adjustment_line', ['group_id'], unique=False)
    op.create_index(op.f('ix_adjustment_line_project_id'), 'adjustment_line', ['project_id'], unique=False)
    op.create_index(op.f('ix_adjustment_line_round_id'), 'adjustment_line', ['round_id'], unique=False)
    op.create_index(op.f('ix_adjustment_line_user_id'), 'adjustment_line', ['user_id'], unique=False)


def downgrade():
    op.drop_table('adjustment_line')
    op.drop_table('adjustment_round')
