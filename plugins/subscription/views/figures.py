"""认购明细: what partners subscribed, 测算, edits within bounds and pot, 计算投资明细, 送审."""
from decimal import Decimal

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from core.i18n import gettext as _
from flask_login import current_user

from core import outbox
from core import review as reviews
from core.extensions import db
from core.models import NoticeBatch
from core.money import AmountError, parse_money
from core.versioning import claim
from plugins.subscription import services
from plugins.subscription.models import TIERS, Subscription
from plugins.subscription.payments import today
from plugins.subscription.required import required, totals_by_kind
from plugins.subscription.views import bp, staff_project

ZERO = Decimal("0.00")


def _commit(message: str) -> None:
    """Commit; a change to a locked plan is answered by the host (core.ui) with the lock message."""
    db.session.commit()
    flash(message, "success")


@bp.route("/projects/<int:project_id>/subscriptions")
def subscriptions(project_id):
    project = staff_project(project_id, editing=False)
    plan = services.initiation(project)
    rows = services.subscriptions(project.id)
    tier_ratios = services.ratios(project.id)
    tier_pots = services.pots(plan.capital_peak, tier_ratios)
    by_tier = {tier: [r for r in rows if r.tier == tier] for tier in TIERS}
    sums = {tier: {field: sum((getattr(r, field) or ZERO for r in members), ZERO)
                   for field in ("subscribed_amount", "investment", "self_funded", "financed")}
            for tier, members in by_tier.items()}
    passed = services.passed_parts(rows)  # a stake taken over by new partners counts in their rows, once
    for row, part in passed:
        for field, amount in part.items():
            sums[row.tier][field] -= amount
    adjusted = services.adjusted_parts(rows)  # what peak changes made of a stake the platform company holds
    for row, part in adjusted:
        for field, amount in part.items():
            sums[row.tier][field] += amount
    totals = {field: sum((sums[t][field] for t in TIERS), ZERO) for field in sums["city"]}
    review = reviews.review_of(plan)
    kinds = totals_by_kind(project.id, [(r.user_id, {"subscribed_amount": r.subscribed_amount,
                                                     "investment": r.investment}) for r in rows])
    return render_template("subscription/subscriptions.html", project=project, plan=plan, by_tier=by_tier,
                           required=required(project.id), kind_totals=kinds, late=_late(project, rows),
                           sums=sums, totals=totals, passed=dict((r.id, p) for r, p in passed), pots=tier_pots, ratios=tier_ratios, tiers=TIERS, review=review,
                           editable=reviews.is_editable(plan), rows=rows,
                           peak_confirmed=services.is_approved(project.id, services.PEAK_PROCESS),
                           approved=services.is_approved(project.id, services.INITIATION_PROCESS),
                           adjusted=dict((r.id, p) for r, p in adjusted))


def _late(project, rows) -> list[Subscription]:
    """Required partners (强投...) whose deadline passed without a 认购: reported to the accountant before 测算."""
    needed, now = required(project.id), today()
    return [r for r in rows if r.user_id in needed and r.subscribed_amount is None and r.deadline < now]


@bp.route("/projects/<int:project_id>/subscriptions/propose", methods=["POST"])
def propose(project_id):
    project = staff_project(project_id)
    try:
        services.propose(project)
    except services.SubscriptionError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("subscription.subscriptions", project_id=project.id))
    _commit(_("已测算：超出层级额度的认购已按比例缩减"))
    late = _late(project, services.subscriptions(project.id))
    if late:
        flash(_("以下合伙人须认购但截至日期前未认购：%(names)s", names="、".join(r.user.name for r in late)), "warning")
    return redirect(url_for("subscription.subscriptions", project_id=project.id))


@bp.route("/projects/<int:project_id>/subscriptions/<int:subscription_id>", methods=["POST"])
def edit_investment(project_id, subscription_id):
    project = staff_project(project_id)
    row = db.session.scalar(db.select(Subscription).where(Subscription.id == subscription_id,
                                                          Subscription.project_id == project.id))
    if row is None:
        abort(404)
    try:
        services.set_investment(project, row, parse_money(request.form.get("investment", ""), _("投资金额")))
        claim(row)
    except (AmountError, services.SubscriptionError) as exc:
        db.session.rollback()
        flash(f"{row.user.name}：{exc}", "danger")
        return redirect(url_for("subscription.subscriptions", project_id=project.id))
    _commit(_("已修改 %(name)s 的投资金额", name=row.user.name))
    return redirect(url_for("subscription.subscriptions", project_id=project.id))


@bp.route("/projects/<int:project_id>/subscriptions/detail", methods=["POST"])
def compute_detail(project_id):
    project = staff_project(project_id)
    try:
        services.compute_detail(project)
    except services.SubscriptionError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("subscription.subscriptions", project_id=project.id))
    _commit(_("已计算投资明细"))
    return redirect(url_for("subscription.subscriptions", project_id=project.id))


@bp.route("/projects/<int:project_id>/subscriptions/submit", methods=["POST"])
def submit(project_id):
    """送审: the plan goes to the business admin's review queue; its figures lock."""
    project = staff_project(project_id)
    plan = services.initiation(project)
    rows = services.subscriptions(project.id)
    if not rows or any(r.investment is None or r.share is None for r in rows):
        flash(_("请先测算并计算投资明细"), "danger")
    else:
        try:
            reviews.submit(plan, current_user, _("%(project)s 事业合伙方案", project=project.name), project.id)
            db.session.commit()
            flash(_("已送审"), "success")
        except reviews.ReviewError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
    return redirect(url_for("subscription.subscriptions", project_id=project.id))


@bp.route("/projects/<int:project_id>/notice-batches/<int:notice_batch_id>/progress")
def notice_progress(project_id, notice_batch_id):
    project = staff_project(project_id, editing=False)
    batch = db.session.scalar(db.select(NoticeBatch).where(NoticeBatch.id == notice_batch_id,
                                                           NoticeBatch.project_id == project.id))
    if batch is None:
        abort(404)
    return jsonify(outbox.progress_report(batch.id))
