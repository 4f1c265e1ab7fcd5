"""exit: the changes of the platform company's holding per exited stake (exit_holding_change): taken over by new
partners, or changed by a 峰值变更 (and its 补缴/退款 confirmed). What new partners already took is written as
``taken`` changes, split as the holding was read until now: over the tiers in proportion to what was transferred,
then within a tier over its exits the same way (largest remainder, to the cent).

Revision ID: 0002_exit_holding_changes
Revises: 0001_exit
"""
import datetime as dt
from decimal import Decimal

from alembic import op
import sqlalchemy as sa

from core.money import MONEY as EXACT, split

revision = '0002_exit_holding_changes'
down_revision = '0001_exit'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=18, scale=2)
ZERO = Decimal("0.00")


def upgrade():
    op.create_table('exit_holding_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('exit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('amount', MONEY, nullable=False),
    sa.Column('ref', sa.String(length=60), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('settled_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['core_project.id'], ),
    sa.ForeignKeyConstraint(['exit_id'], ['exit_exit.id'], ),
    sa.ForeignKeyConstraint(['group_id'], ['core_group_company.id'], ),
    sa.PrimaryKeyConstraint('id'))
    for column in ('group_id', 'project_id', 'exit_id'):
        op.create_index(op.f(f'ix_exit_holding_change_{column}'), 'exit_holding_change', [column], unique=False)
    _taken_so_far()


def _taken_so_far():
    exits = sa.table('exit_exit', sa.column('id', sa.Integer), sa.column('project_id', sa.Integer),
                     sa.column('group_id', sa.Integer), sa.column('subscription_id', sa.Integer),
                     sa.column('state', sa.String), sa.column('transferred', EXACT))
    subscriptions = sa.table('subscription_subscription', sa.column('id', sa.Integer), sa.column('tier', sa.String))
    holdings = sa.table('exit_platform_holding', sa.column('project_id', sa.Integer), sa.column('amount', EXACT))
    changes = sa.table('exit_holding_change', sa.column('project_id', sa.Integer), sa.column('group_id', sa.Integer),
                       sa.column('exit_id', sa.Integer), sa.column('kind', sa.String), sa.column('amount', EXACT),
                       sa.column('ref', sa.String), sa.column('reason', sa.String),
                       sa.column('created_at', sa.DateTime))
    bind = op.get_bind()
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    for project_id, amount in bind.execute(sa.select(holdings.c.project_id, holdings.c.amount)).all():
        rows = bind.execute(sa.select(exits.c.id, exits.c.group_id, subscriptions.c.tier, exits.c.transferred)
                            .join(subscriptions, subscriptions.c.id == exits.c.subscription_id)
                            .where(exits.c.project_id == project_id, exits.c.state.in_(('transferred', 'paid')))
                            .order_by(subscriptions.c.tier, exits.c.id)).all()
        tiers = sorted({r.tier for r in rows})
        weights = [sum((r.transferred or ZERO for r in rows if r.tier == tier), ZERO) for tier in tiers]
        for tier, kept_in_tier in zip(tiers, split(max(amount, ZERO), weights)):
            members = [r for r in rows if r.tier == tier]
            for r, kept in zip(members, split(kept_in_tier, [m.transferred or ZERO for m in members])):
                if (r.transferred or ZERO) > kept:
                    bind.execute(changes.insert().values(
                        project_id=project_id, group_id=r.group_id, exit_id=r.id, kind='taken',
                        amount=kept - r.transferred, ref='', reason='新增合伙承接', created_at=now))


def downgrade():
    op.drop_table('exit_holding_change')
