"""subscription_payment: 退款 entries (kind) and 冲销 of a wrong entry (reversed_at, by, reason)

Revision ID: h5b_payment_corrections
Revises: 0001_subscription
"""
from alembic import op
import sqlalchemy as sa

revision = 'h5b_payment_corrections'
down_revision = 'h4a_exact_numeric'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('subscription_payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=10), nullable=False, server_default='payment'))
        batch_op.add_column(sa.Column('reversed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('reversed_by', sa.String(length=60), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('reversal_reason', sa.String(length=200), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('subscription_payment', schema=None) as batch_op:
        for column in ('reversal_reason', 'reversed_by', 'reversed_at', 'kind'):
            batch_op.drop_column(column)
