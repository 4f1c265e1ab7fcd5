"""A plugin offering a holding to new partners, as the exit plugin does with the platform company's stake."""
from decimal import Decimal

from core.declarations import StakeSource
from core.hookspecs import hookimpl

HOLDINGS = {}  # project id -> amount held
TAKEN = []  # (project id, source key, taken) of every stake_taken call
FAULT = []  # an exception stake_taken raises, when a test puts one here


@hookimpl
def stake_sources(project_id):
    held = HOLDINGS.get(project_id, Decimal("0.00"))
    return [StakeSource("stake_holder:platform", "平台公司持有份额", held)] if held else []


@hookimpl
def stake_taken(project_id, source_key, taken):
    if source_key == "stake_holder:platform":
        if FAULT:
            raise FAULT[0]
        TAKEN.append((project_id, source_key, dict(taken)))
        HOLDINGS[project_id] -= sum(taken.values())
