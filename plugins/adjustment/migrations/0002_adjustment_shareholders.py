"""adjustment: a peak round carries the new shareholder data (股权合作) as a draft

Revision ID: 0002_adjustment_shareholders
Revises: 0001_adjustment
"""
from alembic import op
import sqlalchemy as sa

revision = '0002_adjustment_shareholders'
down_revision = '0001_adjustment'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('adjustment_round') as batch:
        batch.add_column(sa.Column('shareholders', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('adjustment_round') as batch:
        batch.drop_column('shareholders')
