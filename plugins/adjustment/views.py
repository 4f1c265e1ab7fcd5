"""Pages of 立项调整. Staff pages need a role that works on projects and an authorisation on the project
(accountants act, the business admin reads; 审核 is in the review queue); a partner sees and subscribes
only their own lines."""
from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from core.i18n import gettext as _
from flask_login import current_user

from core import outbox, roles
from core.extensions import db
from core.forms import limits
from core.models import Project, User, UserRole
from core.money import AmountError, parse_money
from core.permissions import projects_query
from core.processes.models import REVIEW_LABELS
from core.review import RecordLocked, ReviewError
from core.versioning import claim
from plugins.adjustment import services
from plugins.adjustment.models import APPROVED, KINDS, NEW_PARTNERS, PEAK, SUPPLEMENTARY, HolderLine, Line, Round
from plugins.subscription import payments as entries
from plugins.subscription import services as subscription
from plugins.subscription.forms import FormReader
from plugins.subscription.models import TIERS, Payment, Shareholder
from plugins.subscription.views import STAFF, staff_project

bp = Blueprint("adjustment", __name__, template_folder="templates")


def _round(project, round_id: int) -> Round:
    found = services.round_or_none(project.id, round_id)
    if found is None:
        abort(404)
    return found


def _line(round_: Round, line_id: int) -> Line:
    found = db.session.scalar(db.select(Line).where(Line.id == line_id, Line.round_id == round_.id))
    if found is None:
        abort(404)
    return found


def _back(project, round_=None):
    if round_ is None:
        return redirect(url_for("adjustment.project", project_id=project.id))
    return redirect(url_for("adjustment.round_page", project_id=project.id, round_id=round_.id))


def _refused(exc) -> None:
    db.session.rollback()
    flash(str(exc), "danger")


@bp.route("/")
def index():
    if not current_user.has_role(*STAFF):
        abort(403)
    projects = db.session.scalars(projects_query(current_user).order_by(Project.code)).all()
    return render_template("adjustment/index.html", projects=projects)


@bp.route("/projects/<int:project_id>")
def project(project_id):
    """立项调整: the rounds of the project, a new round, and the history of its approved figures."""
    project = staff_project(project_id, editing=False)
    return render_template("adjustment/project.html", project=project, rounds=services.rounds(project.id),
                           history=services.history(project.id), kinds=KINDS, plan=subscription.initiation(project),
                           approved=subscription.is_approved(project.id, subscription.INITIATION_PROCESS),
                           open_round=services.open_round(project.id), sources=services.stake_sources(project),
                           review_state=services.review_state, labels=services.APPROVING_LABELS,
                           review_labels=REVIEW_LABELS)


@bp.route("/projects/<int:project_id>/rounds", methods=["POST"])
def create_round(project_id):
    project = staff_project(project_id)
    kind = request.form.get("kind", "")
    reader = FormReader(request.form)
    new_peak = reader.money("new_peak", _("新资金峰值"), required=kind == PEAK, minimum=Decimal("0.01"))
    note = reader.text("note", _("调整说明"), Round.note)
    deadline = reader.date("deadline", _("认购截至日期"), required=kind == SUPPLEMENTARY)
    payment_deadline = reader.date("payment_deadline", _("缴款截止日期"))
    if reader.errors:
        flash("；".join(reader.errors.values()), "danger")
        return _back(project)
    try:
        round_ = services.create(project, kind, current_user.username, new_peak=new_peak, note=note, deadline=deadline,
                                 payment_deadline=payment_deadline, source_key=request.form.get("source", ""))
        db.session.commit()
    except services.AdjustmentError as exc:
        _refused(exc)
        return _back(project)
    flash(_("已创建%(round)s", round=round_.label), "success")
    return _back(project, round_)


@bp.route("/projects/<int:project_id>/rounds/<int:round_id>")
def round_page(project_id, round_id):
    """One round: each partner's old → new → difference, tier totals; after approval, 变更缴款确认."""
    project = staff_project(project_id, editing=False)
    round_ = _round(project, round_id)
    rows = services.lines(round_.id)
    others = services.holder_lines(round_.id)  # the platform company's part, beside the partners'
    plan = subscription.initiation(project)
    paid = subscription.paid_totals(Payment.project_id == project.id)
    ratios = subscription.ratios(project.id)
    tiers = {tier: {"old_pot": subscription.pots(round_.old_peak, ratios)[tier],
                    "new_pot": subscription.pots(round_.new_peak, ratios)[tier],
                    "old": sum((r.old_investment for r in rows + others if r.tier == tier), services.ZERO),
                    "new": sum((r.new_investment if r.new_investment is not None else r.old_investment
                                for r in rows + others if r.tier == tier), services.ZERO)}
             for tier in TIERS}
    details = {r.id: subscription.detail(r.new_investment, round_.new_peak, plan.financing_ratio)
               for r in rows if r.new_investment is not None and round_.new_peak}
    return render_template("adjustment/round.html", project=project, round=round_, rows=rows, holder_rows=others,
                           tiers=tiers,
                           tier_labels=TIERS, details=details, paid=paid, refund_due=services.refund_due,
                           editable=services.editable(round_), review_state=services.review_state(round_),
                           peak_approved=services.peak_approved(round_), today=entries.today(),
                           labels=services.APPROVING_LABELS, user_limits=limits(User), review_labels=REVIEW_LABELS,
                           remaining=services.remaining(project.id, round_.new_peak),
                           current_shareholders=db.session.scalars(db.select(Shareholder).where(
                               Shareholder.project_id == project.id).order_by(Shareholder.id)).all(),
                           shareholder_limits=limits(Shareholder))


@bp.route("/projects/<int:project_id>/payments")
def payments(project_id):
    """缴款/变更缴款确认: every 补缴 and 退款 of the approved rounds, and what is confirmed of each."""
    project = staff_project(project_id, editing=False)
    rounds = {r.id: r for r in services.rounds(project.id) if r.state == APPROVED}
    rows = [r for r in services.changed_lines(project.id) if r.round_id in rounds]
    others = [r for r in services.changed_holder_lines(project.id) if r.round_id in rounds]
    return render_template("adjustment/payments.html", project=project, rows=rows, holder_rows=others, rounds=rounds,
                           paid=subscription.paid_totals(Payment.project_id == project.id),
                           refund_due=services.refund_due, today=entries.today())


def _partner(username: str) -> User | None:
    partners = db.select(UserRole.user_id).where(UserRole.role == roles.PARTNER)
    return db.session.scalar(db.select(User).where(User.username == username, User.id.in_(partners)))


@bp.route("/projects/<int:project_id>/rounds/<int:round_id>/partners", methods=["POST"])
def add_partner(project_id, round_id):
    """A partner of a 补投 round (bounds) or a new partner of a 新增合伙 round (their investment)."""
    project = staff_project(project_id)
    round_ = _round(project, round_id)
    reader = FormReader(request.form)
    username = reader.text("username", _("账号"), User.username, required=True)
    if round_.kind == NEW_PARTNERS:
        amount = reader.money("amount", _("投资金额"), required=True, minimum=Decimal("0.01"))
        low = high = amount
    else:
        amount = None
        low = reader.money("min_amount", _("认购下限"), required=True)
        high = reader.money("max_amount", _("认购上限"), required=True)
    user = _partner(username) if username else None
    if username and user is None and "username" not in reader.errors:
        reader.errors["username"] = _("没有账号为 %(u)s 的合伙人", u=username)
    if reader.errors:
        flash("；".join(reader.errors.values()), "danger")
        return _back(project, round_)
    try:
        services.add_partner(round_, user, request.form.get("tier", ""), low, high, amount)
        db.session.commit()
    except (services.AdjustmentError, RecordLocked) as exc:
        _refused(exc)
        return _back(project, round_)
    flash(_("已添加 %(name)s", name=user.name), "success")
    return _back(project, round_)


@bp.route("/projects/<int:project_id>/rounds/<int:round_id>/shareholders", methods=["POST"])
def shareholders(project_id, round_id):
    """峰值变更: the new shareholder data (股权合作) beside the approved list."""
    project = staff_project(project_id)
    round_ = _round(project, round_id)
    reader = FormReader(request.form)
    rows = []
    for i in range(reader.rows()):
        name = reader.text(f"name-{i}", _("股东名称"), Shareholder.name)
        stake = reader.percent(f"stake-{i}", _("持股比例"))
        if name or stake is not None:
            if not name:
                reader.errors[f"name-{i}"] = _("请填写股东名称")
            rows.append((name, request.form.get(f"ours-{i}") == "1", stake or Decimal("0")))
    try:
        if reader.errors:
            raise services.AdjustmentError("；".join(reader.errors.values()))
        services.set_shareholders(round_, rows)
        claim(round_)
        db.session.commit()
    except (services.AdjustmentError, RecordLocked) as exc:
        _refused(exc)
        return _back(project, round_)
    flash(_("已保存新股东信息"), "success")
    return _back(project, round_)


@bp.route("/projects/<int:project_id>/rounds/<int:round_id>/lines/<int:line_id>/delete", methods=["POST"])
def remove_partner(project_id, round_id, line_id):
    project = staff_project(project_id)
    round_ = _round(project, round_id)
    line = _line(round_, line_id)
    name = line.user.name
    try:
        services.remove_partner(round_, line)
        db.session.commit()
    except (services.AdjustmentError, RecordLocked) as exc:
        _refused(exc)
        return _back(project, round_)
    flash(_("已移除 %(name)s", name=name), "success")
    return _back(project, round_)


@bp.route("/projects/<int:project_id>/rounds/<int:round_id>/cancel", methods=["POST"])
def cancel(project_id, round_id):
    """撤销 a round that has not taken effect."""
    project = staff_project(project_id)
    round_ = _round(project, round_id)
    from plugins.adjustment.processes import running
    try:
        services.cancel(round_, running(round_.process_id) or running(round_.peak_process_id))
        db.session.commit()
    except services.AdjustmentError as exc:
        _refused(exc)
        return _back(project, round_)
    flash(_("已撤销%(round)s", round=round_.label), "success")
    return _back(project)


@bp.route("/projects/<int:project_id>/rounds/<int:round_id>/notify", methods=["POST"])
def notify(project_id, round_id):
    """补投认购通知 to the partners of the round."""
    project = staff_project(project_id)
    round_ = _round(project, round_id)
    rows = services.lines(round_.id)
    if round_.kind != SUPPLEMENTARY or not services.editable(round_) or not rows:
        flash(_("没有需要通知的合伙人"), "info")
        return _back(project, round_)
    title = _("补投认购通知：%(project)s") % {"project": project.name}
    outbox.notify_each(project.group_id, [(r.user_id, _(
        "%(project)s开放补投认购：认购上下限 %(low)s – %(high)s 元，截至 %(deadline)s，请在个人中心认购。",
        project=project.name, low=f"{r.min_amount:,}", high=f"{r.max_amount:,}",
        deadline=round_.deadline.isoformat())) for r in rows], title, link="/adjustment/me",
        channels_=outbox.personal_channels(project.group_id), kind="adjustment.subscribe", project_id=project.id,
        actor=current_user.username)
    db.session.commit()
    flash(_("已向 %(n)s 位合伙人发送补投认购通知", n=len(rows)), "success")
    return _back(project, round_)


@bp.route("/projects/<int:project_id>/rounds/<int:round_id>/compute", methods=["POST"])
def compute(project_id, round_id):
    project = staff_project(project_id)
    round_ = _round(project, round_id)
    try:
        services.compute(project, round_)
        db.session.commit()
    except (services.AdjustmentError, RecordLocked) as exc:
        _refused(exc)
        return _back(project, round_)
    flash(_("已计算%(round)s的调整明细", round=round_.label), "success")
    return _back(project, round_)


@bp.route("/projects/<int:project_id>/rounds/<int:round_id>/submit", methods=["POST"])
def submit(project_id, round_id):
    project = staff_project(project_id)
    round_ = _round(project, round_id)
    try:
        services.submit(project, round_, current_user)
        db.session.commit()
    except (services.AdjustmentError, ReviewError) as exc:
        _refused(exc)
        return _back(project, round_)
    flash(_("已送审，等待业务管理员审核"), "success")
    return _back(project, round_)


@bp.route("/projects/<int:project_id>/rounds/<int:round_id>/lines/<int:line_id>/settle", methods=["POST"])
def settle(project_id, round_id, line_id):
    """变更缴款确认: a 补缴 received or a 退款 made, with its date and amount."""
    project = staff_project(project_id)
    round_ = _round(project, round_id)
    line = _line(round_, line_id)
    reader = FormReader(request.form)
    settled_on = reader.date("settled_on", _("确认日期"), required=True)
    amount = reader.money("amount", _("金额"), required=True, minimum=Decimal("0.01"))
    try:
        if reader.errors:
            raise services.AdjustmentError("；".join(reader.errors.values()))
        claim(line)
        services.settle(line, round_, settled_on, amount, current_user.username)
        db.session.commit()
    except services.AdjustmentError as exc:
        db.session.rollback()
        flash(f"{line.user.name}：{exc}", "danger")
        if request.form.get("back") == "payments":
            return redirect(url_for("adjustment.payments", project_id=project.id))
        return _back(project, round_)
    flash(_("已确认 %(name)s %(what)s %(amount)s 元", name=line.user.name, amount=f"{amount:,}",
            what=_("补缴") if line.difference > 0 else _("退款")), "success")
    if request.form.get("back") == "payments":
        return redirect(url_for("adjustment.payments", project_id=project.id))
    return _back(project, round_)


@bp.route("/projects/<int:project_id>/rounds/<int:round_id>/holders/<int:holder_id>/settle", methods=["POST"])
def settle_holder(project_id, round_id, holder_id):
    """变更缴款确认 of a holder other than partners (the platform company): its whole 补缴 or 退款, with the date."""
    project = staff_project(project_id)
    round_ = _round(project, round_id)
    line = db.session.scalar(db.select(HolderLine).where(HolderLine.id == holder_id, HolderLine.round_id == round_.id))
    if line is None:
        abort(404)
    name, reader = line.name, FormReader(request.form)
    settled_on = reader.date("settled_on", _("确认日期"), required=True)
    amount = reader.money("amount", _("金额"), required=True, minimum=Decimal("0.01"))
    what = _("补缴") if line.difference > 0 else _("退款")
    try:
        if reader.errors:
            raise services.AdjustmentError("；".join(reader.errors.values()))
        claim(line)
        services.settle_holder(line, round_, settled_on, amount)
        db.session.commit()
    except (services.AdjustmentError, RecordLocked) as exc:
        db.session.rollback()
        flash(f"{name}：{exc}", "danger")
    else:
        flash(_("已确认 %(name)s %(what)s %(amount)s 元", name=name, amount=f"{amount:,}", what=what), "success")
    if request.form.get("back") == "payments":
        return redirect(url_for("adjustment.payments", project_id=project.id))
    return _back(project, round_)


@bp.route("/me")
def me():
    """个人中心: the partner's own 补投 lines to subscribe and the changes of their investment."""
    if not current_user.has_role(roles.PARTNER):
        abort(403)
    rows = db.session.scalars(db.select(Line).where(Line.user_id == current_user.id).order_by(Line.id.desc())).all()
    round_ids = {r.round_id for r in rows}
    rounds = {r.id: r for r in db.session.scalars(db.select(Round).where(Round.id.in_(round_ids)))}
    projects = {p.id: p for p in db.session.scalars(db.select(Project).where(
        Project.id.in_({r.project_id for r in rows})))}
    open_ids = {i for i, r in rounds.items() if services.editable(r)}
    return render_template("adjustment/me.html", rows=rows, rounds=rounds, projects=projects, open_ids=open_ids,
                           today=entries.today(), SUPPLEMENTARY=SUPPLEMENTARY)


@bp.route("/me/<token>", methods=["POST"])
def subscribe(token):
    line = db.session.scalar(db.select(Line).where(Line.token == token, Line.user_id == current_user.id))
    round_ = db.session.get(Round, line.round_id) if line else None
    if line is None or round_.kind != SUPPLEMENTARY:
        abort(404)
    try:
        if not services.editable(round_):
            raise services.AdjustmentError(_("补投方案已送审，不能再修改认购"))
        subscription.subscribe(line, parse_money(request.form.get("amount", ""), _("认购金额")), entries.today())
        claim(line)
        round_.computed = False
        db.session.commit()
        flash(_("已提交认购 %(amount)s 元", amount=f"{line.subscribed_amount:,}"), "success")
    except (AmountError, subscription.SubscriptionError, services.AdjustmentError, RecordLocked) as exc:
        _refused(exc)
    return redirect(url_for("adjustment.me"))
