"""Exact decimals on SQLite: every NUMERIC column of the stage holds the value scaled to an integer

(cents for money), as core.money.ExactNumeric reads and writes it. PostgreSQL keeps NUMERIC as it was;
the declared column types do not change.

Revision ID: h4a_exact_numeric
Revises: 0001_subscription
"""
from alembic import op

revision = "h4a_exact_numeric"
down_revision = "0001_subscription"
branch_labels = None
depends_on = None

COLUMNS = {  # table: {column: scale}
    "subscription_initiation": {"land_area": 2, "building_area": 2, "total_investment": 2, "sales_revenue": 2,
                                "net_profit": 2, "net_margin": 3, "irr": 3, "capital_peak": 2,
                                "financing_ratio": 3, "financing_rate": 3},
    "subscription_tier_ratio": {"ratio": 3},
    "subscription_shareholder": {"stake": 3},
    "subscription_subscription": {"min_amount": 2, "max_amount": 2, "subscribed_amount": 2, "investment": 2,
                                  "share": 6, "self_funded": 2, "financed": 2},
    "subscription_payment": {"amount": 2},
}


def _rescale(up: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, columns in COLUMNS.items():
        for column, scale in columns.items():
            factor = 10 ** scale
            value = f"CAST(ROUND({column} * {factor}) AS INTEGER)" if up else f"{column} * 1.0 / {factor}"
            op.execute(f"UPDATE {table} SET {column} = {value} WHERE {column} IS NOT NULL")


def upgrade():
    _rescale(up=True)


def downgrade():
    _rescale(up=False)
