"""core_module_state.version: a module's settings form carries the version it was read at

Revision ID: h5c_module_state_version
Revises: h5a_user_company_version
"""
from alembic import op
import sqlalchemy as sa

revision = 'h5c_module_state_version'
down_revision = 'h5a_user_company_version'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('core_module_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))


def downgrade():
    with op.batch_alter_table('core_module_state', schema=None) as batch_op:
        batch_op.drop_column('version')
