"""disclosure tables: 盈亏动态 versions, 披露 notice receipts

Revision ID: 0001_disclosure
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = '0001_disclosure'
down_revision = None
branch_labels = ('disclosure',)
depends_on = ('0001_subscription',)

MONEY = sa.Numeric(precision=18, scale=2)
PERCENT = sa.Numeric(precision=7, scale=3)


def upgrade():
    op.create_table('disclosure_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('sales_revenue', MONEY, nullable=True),
    sa.Column('net_profit', MONEY, nullable=True),
    sa.Column('net_margin', PERCENT, nullable=True),
    sa.Column('irr', PERCENT, nullable=True),
    sa.Column('payback_months', sa.Integer(), nullable=True),
    sa.Column('sales_to_date', MONEY, nullable=True),
    sa.Column('cash_collected', MONEY, nullable=True),
    sa.Column('progress', sa.String(length=500), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_by', sa.String(length=60), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('process_id', sa.Integer(), nullable=True),
    sa.Column('disclosed_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['core_group_company.id'], ),
    sa.ForeignKeyConstraint(['process_id'], ['core_process.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['core_project.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'number')
    )
    op.create_index(op.f('ix_disclosure_version_group_id'), 'disclosure_version', ['group_id'], unique=False)
    op.create_index(op.f('ix_disclosure_version_process_id'), 'disclosure_version', ['process_id'], unique=False)
    op.create_index(op.f('ix_disclosure_version_project_id'), 'disclosure_version', ['project_id'], unique=False)
    op.create_table('disclosure_receipt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('sent_by', sa.String(length=60), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['core_notice_batch.id'], ),
    sa.ForeignKeyConstraint(['group_id'], ['core_group_company.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], ),
    sa.ForeignKeyConstraint(['version_id'], ['disclosure_version.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('version_id', 'user_id')
    )
    op.create_index(op.f('ix_disclosure_receipt_group_id'), 'disclosure_receipt', ['group_id'], unique=False)
    op.create_index(op.f('ix_disclosure_receipt_user_id'), 'disclosure_receipt', ['user_id'], unique=False)
    op.create_index(op.f('ix_disclosure_receipt_version_id'), 'disclosure_receipt', ['version_id'], unique=False)


def downgrade():
    op.drop_table('disclosure_receipt')
    op.drop_table('disclosure_version')
