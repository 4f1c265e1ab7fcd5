"""Concurrent edits of the stage's forms: of two people who opened the same form, the first save wins
and the second is told, with nothing of theirs saved."""
from decimal import Decimal

import sqlalchemy as sa

from core.extensions import db
from core.tenancy import tenant
from plugins.subscription.models import Initiation, Milestone, Shareholder, TierRatio
from plugins.subscription.tests.test_flow import add_partner, rows, set_up_plan, url, world  # noqa: F401 (fixture)
from tests.conftest import STALE, login, post, two_saves


def plan(app, world):
    with app.app_context(), tenant(world["group"]):
        return db.session.scalar(sa.select(Initiation))


def test_initiation_form(app, world):
    page = two_saves(app, world["kj"], url(world, "initiation"), {"project_company": "第一公司", "development_months": "36"},
                     {"project_company": "第二公司", "development_months": "48"})
    assert STALE in page
    saved = plan(app, world)
    assert (saved.project_company, saved.development_months) == ("第一公司", 36)


def test_capital_peak_form_and_the_tiers_ratios(app, world):
    base = {"financing_ratio": "40", "financing_rate": "6", "ratio-holding": "0", "ratio-other": "0",
            "ratio-city": "0.600"}
    page = two_saves(app, world["kj"], url(world, "peak"), {**base, "capital_peak": "1,000,000", "ratio-realestate": "3.310"},
                     {**base, "capital_peak": "2,000,000", "ratio-realestate": "5.000"})
    assert STALE in page
    assert plan(app, world).capital_peak == Decimal("1000000.00")
    with app.app_context(), tenant(world["group"]):
        ratio = db.session.scalar(sa.select(TierRatio.ratio).where(TierRatio.tier == "realestate"))
    assert ratio == Decimal("3.310")


def test_shareholders_form(app, world):
    page = two_saves(app, world["kj"], url(world, "shareholders"),
                     {"rows": "1", "name-0": "第一股东", "ours-0": "1", "stake-0": "100"},
                     {"rows": "1", "name-0": "第二股东", "ours-0": "1", "stake-0": "100"})
    assert STALE in page
    with app.app_context(), tenant(world["group"]):
        assert db.session.scalars(sa.select(Shareholder.name)).all() == ["第一股东"]


def test_milestones_form(app, world):
    page = two_saves(app, world["kj"], url(world, "milestones"), {"rows": "1", "name-0": "开盘"},
                     {"rows": "1", "name-0": "竣工"})
    assert STALE in page
    with app.app_context(), tenant(world["group"]):
        assert db.session.scalars(sa.select(Milestone.name)).all() == ["开盘"]


def test_investment_edit_on_the_subscription_detail(app, world):
    kj = login(app.test_client(), world["kj"])
    set_up_plan(app, world, kj)
    add_partner(kj, world, "jintao", "realestate")
    row = rows(app, world)["jintao"]
    page = two_saves(app, world["kj"], url(world, f"subscriptions/{row.id}"), {"investment": "11,000"},
                     {"investment": "12,000"}, page=url(world, "subscriptions"))
    assert STALE in page
    assert rows(app, world)["jintao"].investment == Decimal("11000.00")


def test_partner_subscription_from_two_windows(app, world):
    kj = login(app.test_client(), world["kj"])
    set_up_plan(app, world, kj)
    add_partner(kj, world, "jintao", "realestate")
    row = rows(app, world)["jintao"]
    page = two_saves(app, "jintao", f"/subscription/me/{row.token}", {"amount": "20,000"}, {"amount": "30,000"},
                     page="/subscription/me")
    assert STALE in page
    assert rows(app, world)["jintao"].subscribed_amount == Decimal("20000.00")


def test_a_stale_save_changes_nothing(app, world):
    kj = login(app.test_client(), world["kj"])
    set_up_plan(app, world, kj)
    before = plan(app, world).version
    page = post(kj, url(world, "peak"), {"capital_peak": "5", "version": str(before - 1)},
                headers={"Referer": f"http://localhost{url(world, 'peak')}"}, follow_redirects=True).get_data(as_text=True)
    assert STALE in page
    saved = plan(app, world)
    assert (saved.version, saved.capital_peak) == (before, Decimal("1000000.00"))
