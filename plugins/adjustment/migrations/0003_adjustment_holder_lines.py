"""adjustment: the holders other than partners (the platform company) in a 峰值变更 round, with their 补缴/退款

Revision ID: 0003_adjustment_holder_lines
Revises: 0002_adjustment_shareholders
"""
from alembic import op
import sqlalchemy as sa

revision = '0003_adjustment_holder_lines'
down_revision = '0002_adjustment_shareholders'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=18, scale=2)


def upgrade():
    op.create_table('adjustment_holder_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('tier', sa.String(length=12), nullable=False),
    sa.Column('old_investment', MONEY, nullable=False),
    sa.Column('new_investment', MONEY, nullable=True),
    sa.Column('settled_amount', MONEY, nullable=False),
    sa.Column('settled_on', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['core_group_company.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['core_project.id'], ),
    sa.ForeignKeyConstraint(['round_id'], ['adjustment_round.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('round_id', 'key', 'tier')
    )
    for column in ('group_id', 'project_id', 'round_id'):
        op.create_index(op.f(f'ix_adjustment_holder_line_{column}'), 'adjustment_holder_line', [column], unique=False)


def downgrade():
    op.drop_table('adjustment_holder_line')
