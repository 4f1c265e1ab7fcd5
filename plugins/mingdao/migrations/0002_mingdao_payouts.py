"""mingdao: the payouts of DistributionPaid (分配), the source of the payout worksheet's rows

Revision ID: 0002_mingdao_payouts
Revises: 0001_mingdao
"""
from alembic import op
import sqlalchemy as sa

revision = '0002_mingdao_payouts'
down_revision = '0001_mingdao'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mingdao_payout',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['core_group_company.id'], name=op.f('fk_mingdao_payout_group_id_core_group_company')),
    sa.ForeignKeyConstraint(['project_id'], ['core_project.id'], name=op.f('fk_mingdao_payout_project_id_core_project')),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_mingdao_payout_user_id_core_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mingdao_payout')),
    sa.UniqueConstraint('group_id', 'batch_id', 'user_id', name=op.f('uq_mingdao_payout_group_id_batch_id_user_id'))
    )
    with op.batch_alter_table('mingdao_payout', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mingdao_payout_group_id'), ['group_id'], unique=False)


def downgrade():
    with op.batch_alter_table('mingdao_payout', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mingdao_payout_group_id'))
    op.drop_table('mingdao_payout')
