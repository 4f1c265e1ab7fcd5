"""core_user.version, core_company.version: their edit forms carry the version they were read at

Revision ID: h5a_user_company_version
Revises: 0001_core
"""
from alembic import op
import sqlalchemy as sa

revision = 'h5a_user_company_version'
down_revision = 'h3a_session_token'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('core_user', 'core_company'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))


def downgrade():
    for table in ('core_company', 'core_user'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('version')
