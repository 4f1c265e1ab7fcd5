"""agreements: 已退出 — the date and the reason an agreement ended with the partner's holding

Revision ID: 0002_agreements_ended
Revises: 0001_agreements
Create Date: 2026-11-28 22:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0002_agreements_ended'
down_revision = '0001_agreements'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agreements_agreement') as batch:
        batch.add_column(sa.Column('ended_on', sa.Date(), nullable=True))
        batch.add_column(sa.Column('ended_reason', sa.String(length=40), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('agreements_agreement') as batch:
        batch.drop_column('ended_reason')
        batch.drop_column('ended_on')
