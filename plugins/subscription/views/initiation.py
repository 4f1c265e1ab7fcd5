"""立项: 基础信息 / 立项信息 / 盈利指标, 股权合作, 关键节点, 资金峰值 and the tiers' ratios."""
from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from flask_login import current_user

from sqlalchemy.orm import joinedload

from core.extensions import db
from core.forms import limits
from core.models import Project
from core.permissions import projects_query
from core.review import is_editable
from core.versioning import claim
from plugins.subscription import services
from plugins.subscription.forms import FormReader
from plugins.subscription.models import TIERS, Initiation, Milestone, Shareholder, TierRatio
from plugins.subscription.views import STAFF, bp, staff_project

INITIATION_FIELDS = [  # (name, label, kind)
    ("project_company", _l("项目公司"), "text"), ("land_area", _l("占地面积（㎡）"), "area"),
    ("building_area", _l("总建筑面积（㎡）"), "area"), ("total_investment", _l("总投资"), "money"),
    ("initiated_on", _l("立项日期"), "date"), ("development_months", _l("开发周期（月）"), "int"),
    ("initiation_note", _l("立项说明"), "text"), ("sales_revenue", _l("销售收入"), "money"),
    ("net_profit", _l("净利润"), "signed_money"), ("net_margin", _l("净利润率（%）"), "percent"),
    ("irr", _l("IRR（%）"), "percent"), ("payback_months", _l("现金回正周期（月）"), "int"),
]


def _dynamics_url(project) -> str | None:
    """【披露/盈亏动态】 of the project, when the company enabled the disclosure module (a link, not an import)."""
    from flask import current_app
    from core.modules import is_enabled
    if "disclosure.dynamics" in current_app.view_functions and is_enabled(project.group_id, "disclosure"):
        return url_for("disclosure.dynamics", project_id=project.id)
    return None


def _save(message: str):
    """Commit; a change to the locked plan is answered by the host (core.ui) with the lock message."""
    db.session.commit()
    flash(message, "success")


@bp.route("/")
def index():
    if not current_user.has_role(*STAFF):
        abort(403)
    projects = db.session.scalars(projects_query(current_user).options(joinedload(Project.company))
                                  .order_by(Project.name)).all()
    return render_template("subscription/index.html", projects=projects)


@bp.route("/projects/<int:project_id>/initiation", methods=["GET", "POST"])
def initiation(project_id):
    project = staff_project(project_id, editing=request.method == "POST")
    plan = services.initiation(project)
    errors = {}
    if request.method == "POST":
        reader = FormReader(request.form)
        values = {}
        for name, label, kind in INITIATION_FIELDS:
            column = getattr(Initiation, name)
            read = {"text": lambda n, lab: reader.text(n, lab, column), "money": reader.money,
                    "signed_money": lambda n, lab: reader.money(n, lab, minimum=None),
                    "area": lambda n, lab: reader.decimal(n, lab, column), "percent": reader.percent,
                    "date": reader.date, "int": reader.integer}[kind]
            values[name] = read(name, str(label))
        errors = reader.errors
        if not errors:
            claim(plan)
            for name, value in values.items():
                setattr(plan, name, value)
            _save(_("已保存"))
            return redirect(url_for("subscription.initiation", project_id=project.id))
    return render_template("subscription/initiation.html", project=project, plan=plan, fields=INITIATION_FIELDS,
                           errors=errors, form=request.form if errors else None, editable=is_editable(plan),
                           limits=limits(Initiation), dynamics_url=_dynamics_url(project))


@bp.route("/projects/<int:project_id>/shareholders", methods=["GET", "POST"])
def shareholders(project_id):
    project = staff_project(project_id, editing=request.method == "POST")
    rows = db.session.scalars(db.select(Shareholder).where(Shareholder.project_id == project.id)
                              .order_by(Shareholder.id)).all()
    errors, submitted = {}, None
    if request.method == "POST":
        reader = FormReader(request.form)
        submitted = []
        for i in range(reader.rows()):
            name = reader.text(f"name-{i}", _("股东名称"), Shareholder.name)
            stake = reader.percent(f"stake-{i}", _("持股比例"))
            if name or stake is not None:
                if not name:
                    reader.errors[f"name-{i}"] = _("请填写股东名称")
                submitted.append((name, request.form.get(f"ours-{i}") == "1", stake or Decimal("0")))
        total = sum((s for _n, _o, s in submitted), Decimal("0"))
        if submitted and total != Decimal("100"):
            reader.errors["total"] = _("持股比例合计须为 100%%，现为 %(total)s%%", total=f"{total:.3f}")
        errors = reader.errors
        if not errors:
            claim(services.initiation(project))  # the list belongs to the 立项
            for row in rows:
                db.session.delete(row)
            db.session.add_all([Shareholder(project_id=project.id, name=n, ours=o, stake=s) for n, o, s in submitted])
            _save(_("已保存"))
            return redirect(url_for("subscription.shareholders", project_id=project.id))
    return render_template("subscription/shareholders.html", project=project, rows=rows, errors=errors,
                           submitted=submitted, plan=services.initiation(project), limits=limits(Shareholder))


@bp.route("/projects/<int:project_id>/milestones", methods=["GET", "POST"])
def milestones(project_id):
    project = staff_project(project_id, editing=request.method == "POST")
    rows = db.session.scalars(db.select(Milestone).where(Milestone.project_id == project.id)
                              .order_by(Milestone.planned_on, Milestone.id)).all()
    errors, posted_rows = {}, 0
    if request.method == "POST":
        reader = FormReader(request.form)
        wanted, posted_rows = [], reader.rows()
        for i in range(posted_rows):
            name = reader.text(f"name-{i}", _("节点"), Milestone.name)
            planned, actual = reader.date(f"planned-{i}", _("计划日期")), reader.date(f"actual-{i}", _("实际日期"))
            if name:
                wanted.append(Milestone(project_id=project.id, name=name, planned_on=planned, actual_on=actual))
        errors = reader.errors
        if not errors:
            claim(services.initiation(project))
            for row in rows:
                db.session.delete(row)
            db.session.add_all(wanted)
            _save(_("已保存"))
            return redirect(url_for("subscription.milestones", project_id=project.id))
    return render_template("subscription/milestones.html", project=project, rows=rows, errors=errors,
                           plan=services.initiation(project), limits=limits(Milestone),
                           form=request.form if errors else None, posted_rows=posted_rows)


@bp.route("/projects/<int:project_id>/peak", methods=["GET", "POST"])
def peak(project_id):
    project = staff_project(project_id, editing=request.method == "POST")
    plan = services.initiation(project)
    errors = {}
    if request.method == "POST":
        reader = FormReader(request.form)
        capital_peak = reader.money("capital_peak", _("资金峰值"), required=True)
        tier_ratios = {tier: reader.percent(f"ratio-{tier}", _("合伙投资占比")) or Decimal("0") for tier in TIERS}
        financing_ratio = reader.percent("financing_ratio", _("配资比例")) or Decimal("0")
        financing_rate = reader.percent("financing_rate", _("配资年利率")) or Decimal("0")
        payee = {k: reader.text(k, label, getattr(Initiation, k))
                 for k, label in (("payee_name", _("收款户名")), ("payee_bank", _("开户行")), ("payee_account", _("收款账号")))}
        deadline = reader.date("payment_deadline", _("缴款截止日期"))
        errors = reader.errors
        if not errors:
            claim(plan)  # the tiers' ratios are saved with the plan
            plan.capital_peak, plan.financing_ratio, plan.financing_rate = capital_peak, financing_ratio, financing_rate
            plan.payment_deadline = deadline
            for key, value in payee.items():
                setattr(plan, key, value)
            existing = {r.tier: r for r in db.session.scalars(db.select(TierRatio)
                                                              .where(TierRatio.project_id == project.id))}
            for tier, ratio in tier_ratios.items():
                row = existing.get(tier) or TierRatio(project_id=project.id, tier=tier)
                row.ratio = ratio
                db.session.add(row)
            _save(_("已保存"))
            return redirect(url_for("subscription.peak", project_id=project.id))
    tier_ratios = services.ratios(project.id)
    tier_pots = services.pots(plan.capital_peak, tier_ratios)
    return render_template("subscription/peak.html", project=project, plan=plan, ratios=tier_ratios, pots=tier_pots,
                           errors=errors, form=request.form if errors else None, editable=is_editable(plan),
                           confirmed=services.is_approved(project.id, services.PEAK_PROCESS), tiers=TIERS,
                           limits=limits(Initiation))
