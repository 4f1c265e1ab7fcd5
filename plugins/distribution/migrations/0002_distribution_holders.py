"""distribution: lines of holders that are not partners (the platform company...): holder, holder_name;
subscription_id and user_id empty for them

Revision ID: 0002_distribution_holders
Revises: 0001_distribution
Create Date: 2026-11-28 22:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0002_distribution_holders'
down_revision = '0001_distribution'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('distribution_line') as batch:
        batch.add_column(sa.Column('holder', sa.String(length=40), nullable=False, server_default=''))
        batch.add_column(sa.Column('holder_name', sa.String(length=200), nullable=False, server_default=''))
        batch.alter_column('subscription_id', existing_type=sa.Integer(), nullable=True)
        batch.alter_column('user_id', existing_type=sa.Integer(), nullable=True)


def downgrade():
    op.execute("DELETE FROM distribution_line WHERE holder <> ''")
    with op.batch_alter_table('distribution_line') as batch:
        batch.alter_column('user_id', existing_type=sa.Integer(), nullable=False)
        batch.alter_column('subscription_id', existing_type=sa.Integer(), nullable=False)
        batch.drop_column('holder_name')
        batch.drop_column('holder')
