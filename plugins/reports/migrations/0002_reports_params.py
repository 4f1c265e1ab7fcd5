"""reports: an export of a report of partner rows runs as a job too, with the report's filters and order

Revision ID: 0002_reports_params
Revises: 0001_reports
"""
from alembic import op
import sqlalchemy as sa

revision = '0002_reports_params'
down_revision = '0001_reports'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reports_export') as batch:
        batch.add_column(sa.Column('params', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('reports_export') as batch:
        batch.drop_column('params')
