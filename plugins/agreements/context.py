"""The placeholders an agreement template may use, and their values for a partner."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from core.extensions import db
from core.models import Company, GroupCompany, Project
from core.money import to_chinese_upper
from core.ui import SHANGHAI, money
from plugins.subscription import services as subscription
from plugins.subscription.models import TIERS

PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "group": ("name", "short_name"),
    "project": ("name", "code", "company", "acquisition_method", "land_acquired_on"),
    "partner": ("name", "username", "mobile", "tier"),
    "investment": ("amount", "amount_upper", "self_funded", "self_funded_upper", "financed", "financed_upper",
                   "share"),
    "plan": ("capital_peak", "capital_peak_upper", "tier_ratio", "total_ratio", "financing_ratio", "financing_rate",
             "payment_deadline", "payee_name", "payee_bank", "payee_account"),
    "parties": ("first", "second"),
    "agreement": ("number", "version", "date", "supplementary", "supersedes"),
}


def _amount(value: Decimal | None) -> tuple[str, str]:
    value = value or Decimal("0.00")
    return money(value), to_chinese_upper(value)


def parties(subscription_row) -> dict:
    """甲方 and 乙方, the one source for page 1 and the 签署页. 甲方 is the group company: its 事业合伙管理办法
    governs the agreement and its seal is applied (the project company is named as the project's owner)."""
    project = db.session.get(Project, subscription_row.project_id)
    return {"first": db.session.get(GroupCompany, project.group_id).name, "second": subscription_row.user.name}


def figures(subscription_row) -> dict:
    """The figures and parties an agreement is made of; a new version is due when they change."""
    names = parties(subscription_row)
    return {"investment": f"{subscription_row.investment or 0:.2f}", "self_funded": f"{subscription_row.self_funded or 0:.2f}",
            "financed": f"{subscription_row.financed or 0:.2f}", "share": f"{subscription_row.share or 0}",
            "first_party": names["first"], "second_party": names["second"]}


def build(subscription_row, number: str, version: int, supersedes: str = "") -> dict:
    project = db.session.get(Project, subscription_row.project_id)
    group = db.session.get(GroupCompany, project.group_id)
    company = db.session.get(Company, project.company_id)
    plan = subscription.initiation(project)
    ratios = subscription.ratios(project.id)
    user = subscription_row.user
    amount, amount_upper = _amount(subscription_row.investment)
    self_funded, self_funded_upper = _amount(subscription_row.self_funded)
    financed, financed_upper = _amount(subscription_row.financed)
    peak, peak_upper = _amount(plan.capital_peak)
    return {
        "group": {"name": group.name, "short_name": group.short_name},
        "project": {"name": project.name, "code": project.code, "company": company.name,
                    "acquisition_method": project.acquisition_method_label,
                    "land_acquired_on": project.land_acquired_on.isoformat() if project.land_acquired_on else ""},
        "partner": {"name": user.name, "username": user.username, "mobile": user.mobile,
                    "tier": str(TIERS.get(subscription_row.tier, subscription_row.tier))},
        "investment": {"amount": amount, "amount_upper": amount_upper, "self_funded": self_funded,
                       "self_funded_upper": self_funded_upper, "financed": financed, "financed_upper": financed_upper,
                       "share": f"{subscription_row.share or 0:.6f}%"},
        "plan": {"capital_peak": peak, "capital_peak_upper": peak_upper,
                 "tier_ratio": f"{ratios.get(subscription_row.tier, 0):.3f}%",
                 "total_ratio": f"{sum(ratios.values()):.3f}%", "financing_ratio": f"{plan.financing_ratio:.3f}%",
                 "financing_rate": f"{plan.financing_rate:.3f}%",
                 "payment_deadline": plan.payment_deadline.isoformat() if plan.payment_deadline else "",
                 "payee_name": plan.payee_name, "payee_bank": plan.payee_bank, "payee_account": plan.payee_account},
        "parties": parties(subscription_row),
        "agreement": {"number": number, "version": version, "date": dt.datetime.now(SHANGHAI).date().isoformat(),
                      "supplementary": version > 1, "supersedes": supersedes},
    }


def demo() -> dict:
    """A demo partner for the template preview."""
    amount = Decimal("288940.00")
    return {
        "group": {"name": "锦艺集团", "short_name": "锦艺"},
        "project": {"name": "泰安-锦艺誉峯", "code": "TA-JYYF", "company": "泰安直属项目公司",
                    "acquisition_method": "招拍挂", "land_acquired_on": "2019-03-21"},
        "partner": {"name": "金涛", "username": "jintao", "mobile": "13800000007", "tier": "置业集团"},
        "investment": {"amount": money(amount), "amount_upper": to_chinese_upper(amount),
                       "self_funded": money(Decimal("173364.00")), "self_funded_upper": to_chinese_upper(Decimal("173364.00")),
                       "financed": money(Decimal("115576.00")), "financed_upper": to_chinese_upper(Decimal("115576.00")),
                       "share": "0.963133%"},
        "plan": {"capital_peak": money(Decimal("30000000.00")), "capital_peak_upper": to_chinese_upper(Decimal("30000000")),
                 "tier_ratio": "3.310%", "total_ratio": "3.910%", "financing_ratio": "40.000%",
                 "financing_rate": "6.000%", "payment_deadline": "2030-01-31", "payee_name": "泰安锦艺置业有限公司",
                 "payee_bank": "建设银行泰安分行", "payee_account": "3705 0166 0001 0000 1234"},
        "parties": {"first": "锦艺集团", "second": "金涛"},
        "agreement": {"number": "GT-0003-000002-01", "version": 1, "date": "2030-01-01", "supplementary": False,
                      "supersedes": ""},
    }
