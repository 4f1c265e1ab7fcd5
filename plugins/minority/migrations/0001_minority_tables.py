"""minority tables: 小股东 (股东登记), 股东分配批次, 股东分配明细

Revision ID: 0001_minority
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = '0001_minority'
down_revision = None
branch_labels = ('minority',)
depends_on = ('0001_distribution',)

MONEY = sa.Numeric(precision=18, scale=2)
PERCENT = sa.Numeric(precision=7, scale=3)


def upgrade():
    op.create_table('minority_shareholder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('contact', sa.String(length=60), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=False),
    sa.Column('bank', sa.String(length=120), nullable=False),
    sa.Column('account_name', sa.String(length=120), nullable=False),
    sa.Column('account_number', sa.String(length=40), nullable=False),
    sa.Column('stake', PERCENT, nullable=False),
    sa.Column('cooperation', sa.String(length=120), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['core_group_company.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['core_project.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'id_number')
    )
    for column in ('group_id', 'project_id'):
        op.create_index(op.f(f'ix_minority_shareholder_{column}'), 'minority_shareholder', [column], unique=False)
    op.create_table('minority_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('distributable', MONEY, nullable=True),
    sa.Column('distributed_on', sa.Date(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('approved_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['core_group_company.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['core_project.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'number')
    )
    for column in ('group_id', 'project_id'):
        op.create_index(op.f(f'ix_minority_batch_{column}'), 'minority_batch', [column], unique=False)
    op.create_table('minority_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('shareholder_id', sa.Integer(), nullable=False),
    sa.Column('stake', PERCENT, nullable=False),
    sa.Column('amount', MONEY, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['minority_batch.id'], ),
    sa.ForeignKeyConstraint(['group_id'], ['core_group_company.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['core_project.id'], ),
    sa.ForeignKeyConstraint(['shareholder_id'], ['minority_shareholder.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('batch_id', 'shareholder_id')
    )
    for column in ('batch_id', 'group_id', 'project_id', 'shareholder_id'):
        op.create_index(op.f(f'ix_minority_line_{column}'), 'minority_line', [column], unique=False)


def downgrade():
    op.drop_table('minority_line')
    op.drop_table('minority_batch')
    op.drop_table('minority_shareholder')
