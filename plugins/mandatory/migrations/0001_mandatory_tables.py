"""mandatory tables: 强投名单 entries and their per-project waivers

Revision ID: 0001_mandatory
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = '0001_mandatory'
down_revision = None
branch_labels = ('mandatory',)
depends_on = ('0001_subscription',)


def upgrade():
    op.create_table('mandatory_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('include_children', sa.Boolean(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=30), nullable=False),
    sa.Column('tier', sa.String(length=12), nullable=False),
    sa.Column('min_kind', sa.String(length=10), nullable=False),
    sa.Column('min_amount', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('min_percent', sa.Numeric(precision=7, scale=3), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['core_company.id'], ),
    sa.ForeignKeyConstraint(['group_id'], ['core_group_company.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_mandatory_entry_company_id'), 'mandatory_entry', ['company_id'], unique=False)
    op.create_index(op.f('ix_mandatory_entry_group_id'), 'mandatory_entry', ['group_id'], unique=False)
    op.create_index(op.f('ix_mandatory_entry_user_id'), 'mandatory_entry', ['user_id'], unique=False)
    op.create_table('mandatory_waiver',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['core_group_company.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['core_project.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'user_id')
    )
    op.create_index(op.f('ix_mandatory_waiver_group_id'), 'mandatory_waiver', ['group_id'], unique=False)
    op.create_index(op.f('ix_mandatory_waiver_project_id'), 'mandatory_waiver', ['project_id'], unique=False)
    op.create_index(op.f('ix_mandatory_waiver_user_id'), 'mandatory_waiver', ['user_id'], unique=False)


def downgrade():
    op.drop_table('mandatory_waiver')
    op.drop_table('mandatory_entry')
