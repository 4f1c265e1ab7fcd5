"""core_user.session_token: sign-out and a new password end the sessions made before

Revision ID: h3a_session_token
Revises: 0001_core
"""
from alembic import op
import sqlalchemy as sa

revision = 'h3a_session_token'
down_revision = '0001_core'
branch_labels = None
depends_on = None


def upgrade():
    # Existing users get a token at their next sign-in (User.get_id); sessions made before the upgrade end.
    with op.batch_alter_table('core_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=32), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('core_user', schema=None) as batch_op:
        batch_op.drop_column('session_token')
