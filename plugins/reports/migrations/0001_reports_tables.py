"""reports tables: the exports of 辅助工具

Revision ID: 0001_reports
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = '0001_reports'
down_revision = None
branch_labels = ('reports',)
depends_on = ('0001_distribution',)


def upgrade():
    op.create_table('reports_export',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('rows_done', sa.Integer(), nullable=False),
    sa.Column('rows_total', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['core_group_company.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    for column in ('group_id', 'user_id'):
        op.create_index(op.f(f'ix_reports_export_{column}'), 'reports_export', [column], unique=False)


def downgrade():
    op.drop_table('reports_export')
