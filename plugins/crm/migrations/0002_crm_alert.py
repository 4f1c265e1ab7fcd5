"""crm: crm_alert, the company's run of sync failures (one notice to the admins per run)

Revision ID: 0002_crm_alert
Revises: 0001_crm
"""
from alembic import op
import sqlalchemy as sa

revision = '0002_crm_alert'
down_revision = '0001_crm'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('crm_alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('failing_since', sa.DateTime(), nullable=True),
    sa.Column('notified_at', sa.DateTime(), nullable=True),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['core_group_company.id'], name=op.f('fk_crm_alert_group_id_core_group_company')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_alert')),
    sa.UniqueConstraint('group_id', name=op.f('uq_crm_alert_group_id'))
    )
    with op.batch_alter_table('crm_alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_alert_group_id'), ['group_id'], unique=False)


def downgrade():
    with op.batch_alter_table('crm_alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_alert_group_id'))
    op.drop_table('crm_alert')
