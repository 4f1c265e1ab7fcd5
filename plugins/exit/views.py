"""退出流程 pages. Staff pages need a role that works on projects and an authorisation on the project
(accountants act, the business admin reads); the partner's page shows only the partner's own exits."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from core.i18n import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from core import roles
from core.extensions import db
from core.forms import read_id
from core.models import Project
from core.permissions import projects_query
from core.versioning import claim
from plugins.distribution.views import STAFF, staff_project
from plugins.exit import rules, services
from plugins.exit.models import DONE, KINDS, ExitCalculation, PartnerExit
from plugins.subscription.forms import FormReader
from plugins.subscription.payments import today

bp = Blueprint("exit", __name__, template_folder="templates")


def _back(project):
    return redirect(url_for("exit.project", project_id=project.id))


def _done(action) -> bool:
    """Run ``action``; commit, or roll back and flash its refusal."""
    try:
        action()
    except services.ExitError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return False
    db.session.commit()
    return True


@bp.route("/")
def index():
    if not current_user.has_role(*STAFF):
        abort(403)
    projects = db.session.scalars(projects_query(current_user).options(joinedload(Project.company))
                                  .order_by(Project.name)).all()
    return render_template("exit/index.html", projects=projects)


@bp.route("/projects/<int:project_id>")
def project(project_id):
    found = staff_project(project_id, editing=False)
    settings = rules.settings(found.group_id)
    exits = services.exits(found.id)
    gone = {e.subscription_id for e in exits if e.state in DONE}
    return render_template("exit/project.html", project=found,
                           members=[m for m in services.members(found.id) if m.id not in gone],
                           calculations=services.calculations(found.id), exits=exits,
                           holding=services.holding(found.id), kinds=KINDS, settings=settings, bases=rules.BASIS_LABELS,
                           platform=services.platform_company(found.group_id), today=today(),
                           profit=services.latest_profit(found),
                           can_edit=current_user.has_role(*roles.ACCOUNTANTS), form=request.form)


@bp.route("/projects/<int:project_id>/calculate", methods=["POST"])
def calculate(project_id):
    found = staff_project(project_id)
    reader = FormReader(request.form)
    subscription_id = read_id(request.form.get("subscription"))
    kind = request.form.get("kind", "")
    exit_on = reader.date("exit_on", _("退出日期"), required=True)
    net_profit = reader.money("net_profit", _("最新披露净利润"), minimum=None)
    if subscription_id is None:
        reader.errors["subscription"] = _("请选择合伙人")
    if kind not in KINDS:
        reader.errors["kind"] = _("请选择退出类型")
    if reader.errors:
        flash("；".join(reader.errors.values()), "danger")
        return _back(found)
    made = []
    if _done(lambda: made.append(services.calculate(found, subscription_id, kind, exit_on, current_user.username,
                                                    keep=request.form.get("keep") == "1", net_profit=net_profit))):
        flash(_("已保存离职退休测算 #%(n)s：测算退出金额 %(total)s 元", n=made[0].id, total=f"{made[0].total:,.2f}"),
              "success")
    return _back(found)


def _calculation_or_404(project, calculation_id: int) -> ExitCalculation:
    found = services.calculation_of(project.id, calculation_id)
    if found is None:
        abort(404)
    return found


def _exit_or_404(project, exit_id: int) -> PartnerExit:
    found = db.session.scalar(db.select(PartnerExit).where(PartnerExit.id == exit_id,
                                                           PartnerExit.project_id == project.id))
    if found is None:
        abort(404)
    return found


@bp.route("/projects/<int:project_id>/calculations/<int:calculation_id>/start", methods=["POST"])
def start(project_id, calculation_id):
    found = staff_project(project_id)
    calculation = _calculation_or_404(found, calculation_id)
    if _done(lambda: services.start(found, calculation, current_user)):
        flash(_("已发起离职退休流程"), "success")
    return _back(found)


@bp.route("/projects/<int:project_id>/exits/<int:exit_id>/transfer", methods=["POST"])
def transfer(project_id, exit_id):
    found = staff_project(project_id)
    row = _exit_or_404(found, exit_id)
    claim(row)
    moved = []
    if _done(lambda: moved.append(services.transfer(found, row))):
        flash(_("已将 %(amount)s 元合伙投资过户给平台公司", amount=f"{moved[0]:,.2f}"), "success")
    return _back(found)


@bp.route("/projects/<int:project_id>/exits/<int:exit_id>/payout", methods=["POST"])
def payout(project_id, exit_id):
    found = staff_project(project_id)
    row = _exit_or_404(found, exit_id)
    reader = FormReader(request.form)
    amount = reader.money("amount", _("退出打款金额"), required=True, minimum=None)
    paid_on = reader.date("paid_on", _("打款日期"), required=True)
    reason = reader.text("reason", _("差异原因"), PartnerExit.payout_reason)
    if reader.errors:
        flash("；".join(reader.errors.values()), "danger")
        return _back(found)
    claim(row)
    if _done(lambda: services.register_payout(row, amount, paid_on, reason, today())):
        flash(_("已登记退出打款 %(amount)s 元", amount=f"{amount:,.2f}"), "success")
    return _back(found)


@bp.route("/me")
def me():
    """个人中心 · 我的退出: the partner's own exits with their 测算 and payout (read only)."""
    if not current_user.has_role(roles.PARTNER):
        abort(403)
    rows = db.session.scalars(db.select(PartnerExit).options(joinedload(PartnerExit.calculation))
                              .where(PartnerExit.user_id == current_user.id).order_by(PartnerExit.id.desc())).all()
    names = {p.id: p.name for p in db.session.scalars(db.select(Project).where(
        Project.id.in_({r.project_id for r in rows})))} if rows else {}
    return render_template("exit/me.html", rows=rows, names=names, kinds=KINDS)


@bp.app_context_processor
def _settings_page():
    """The companies of the group's tree, for the settings page (exit/settings_extra.html)."""
    def exit_companies():
        from core.models import Company
        return db.session.scalars(db.select(Company).order_by(Company.id)).all()
    return {"exit_companies": exit_companies}
