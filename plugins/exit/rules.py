"""The exit rules (module settings) and the 离职退休测算 made from saved inputs alone, so that the same
inputs always give the same lines to the cent."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l

from core.money import round_cents
from core.settings import Setting

BASES = ("interest", "profit", "principal")
SHARES = ("platform", "partners")  # who takes the exited partners' share of the distributions after the transfer
BASIS_LABELS = {"interest": _l("本金＋持有期单利"), "profit": _l("本金＋净利润分成"), "principal": _l("仅本金")}
DAYS_IN_YEAR = Decimal(365)
ZERO = Decimal("0.00")


def _percent(value: str) -> bool:
    try:
        number = Decimal(value)
    except InvalidOperation:
        return False
    return number.is_finite() and Decimal(0) <= number <= Decimal(100) and -number.as_tuple().exponent <= 3


def _basis_help(kind):
    return _l("%(kind)s合伙人所得：interest＝本金＋按年利率计算的持有期单利（持有天数÷365）；profit＝本金＋最新披露净利润"
              "×投资金额÷资金峰值；principal＝仅本金。均扣减配资及配资利息（至退出日期）和已分配金额。", kind=kind)


SETTINGS = [
    Setting("platform_company", _l("平台公司"), default="",
            help=_l("承接退出合伙人份额的平台公司：组织架构中公司的ID（见下表）。未设置时不能过户。"),
            valid=lambda value: value == "" or value.isdigit()),
    Setting("distribution_share", _l("过户后的分配"), default="platform",
            help=_l("platform（默认）＝过户后新建的分配批次中平台公司按其持有份额单列一行（层级同退出合伙人），分得退出"
                    "合伙人的份额；partners＝过户后的分配不再包含退出合伙人的份额，由同层级其他合伙人按投资金额分配。"),
            valid=lambda value: value in SHARES),
    Setting("resign_basis", _l("离职退出计算方式"), default="interest", help=_basis_help(_l("离职")),
            valid=lambda value: value in BASES),
    Setting("resign_rate", _l("离职年利率（%）"), default="3.000",
            help=_l("计算方式为 interest 时的年化单利，百分数，最多三位小数，如 3.000"), valid=_percent),
    Setting("retire_basis", _l("退休退出计算方式"), default="profit", help=_basis_help(_l("退休")),
            valid=lambda value: value in BASES),
    Setting("retire_rate", _l("退休年利率（%）"), default="6.000",
            help=_l("计算方式为 interest 时的年化单利，百分数，最多三位小数，如 6.000"), valid=_percent),
    Setting("retire_may_keep", _l("退休合伙人可保留份额至项目结束"), kind="bool", default="",
            help=_l("选中时，退休测算可选择保留份额：不过户、不打款，合伙人继续参与分配，标记为“退”。")),
]


def settings(group_id: int) -> dict[str, str]:
    from core.settings import values
    return values(group_id, "exit")


def _days(start: dt.date, end: dt.date) -> int:
    return (end - start).days


def _money(value) -> str:
    return f"{Decimal(value):,.2f}"


def compute(inputs: dict) -> tuple[list[dict], Decimal]:
    """The lines of a 测算 (label, source, amount as text) and their total, from its saved ``inputs``:
    every value is text (amounts to the cent, dates ISO). Each line is rounded to the cent; the total is
    the sum of the rounded lines."""
    investment = Decimal(inputs["investment"])
    exit_on = dt.date.fromisoformat(inputs["exit_on"])
    lines = []

    def line(label, source, amount):
        lines.append({"label": str(label), "source": str(source), "amount": f"{round_cents(amount):.2f}"})

    if inputs.get("keep"):
        line(_("退休保留份额至项目结束"), _("不过户、不打款，继续参与分配"), ZERO)
        return lines, ZERO
    line(_("事业合伙本金"), _("认购明细·投资金额"), investment)
    basis = inputs["basis"]
    if basis == "interest":
        start = dt.date.fromisoformat(inputs["paid_on"])
        days, rate = _days(start, exit_on), Decimal(inputs["rate"])
        line(_("持有期收益"), _("%(principal)s × 年利率 %(rate)s%% × %(days)s 天 ÷ 365（%(start)s 至 %(end)s）",
                               principal=_money(investment), rate=inputs["rate"], days=days, start=start.isoformat(),
                               end=exit_on.isoformat()),
             investment * rate / 100 * days / DAYS_IN_YEAR)
    elif basis == "profit":
        profit, peak = Decimal(inputs["net_profit"]), Decimal(inputs["capital_peak"])
        line(_("净利润分成"), _("最新披露净利润 %(profit)s × 投资金额 %(principal)s ÷ 资金峰值 %(peak)s",
                               profit=_money(profit), principal=_money(investment), peak=_money(peak)),
             profit * investment / peak)
    financed = Decimal(inputs.get("financed") or "0")
    if financed:
        start = dt.date.fromisoformat(inputs["interest_start"])
        days, rate = _days(start, exit_on), Decimal(inputs["financing_rate"])
        line(_("扣减配资"), _("认购明细·配资"), -financed)
        line(_("扣减配资利息"), _("%(financed)s × 配资年利率 %(rate)s%% × %(days)s 天 ÷ 365（%(start)s 至 %(end)s）",
                                 financed=_money(financed), rate=inputs["financing_rate"], days=days,
                                 start=start.isoformat(), end=exit_on.isoformat()),
             -(financed * rate / 100 * days / DAYS_IN_YEAR))
    distributed = Decimal(inputs.get("distributed") or "0")
    if distributed:
        line(_("扣减已分配金额"), _("已审批的分配批次（本金分配含其它＋利润）"), -distributed)
    total = sum((Decimal(x["amount"]) for x in lines), ZERO)
    return lines, total
