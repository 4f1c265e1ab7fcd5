"""个人中心 / 认购明细: a partner's own subscriptions, their 认购, investment, what they owe and paid."""
from flask import abort, flash, redirect, render_template, request, url_for
from core.i18n import gettext as _
from flask_login import current_user

from core.extensions import db
from core.models import Project
from core.money import AmountError, parse_money
from core.review import RecordLocked
from core.versioning import claim
from plugins.subscription import services
from plugins.subscription.models import Payment, Subscription
from plugins.subscription.payments import today
from plugins.subscription.views import bp


@bp.route("/me")
def my_subscriptions():
    return render_template("subscription/me.html", rows=_my_lines, today=today(), labels=services.STATUS_LABELS)


def _my_lines():
    """The partner's subscriptions, newest first, with what they paid, their projects and which are approved."""
    rows = db.session.scalars(db.select(Subscription).where(Subscription.user_id == current_user.id)
                              .order_by(Subscription.id.desc())).all()
    paid = services.paid_totals(Payment.subscription_id.in_([r.id for r in rows]))
    projects = {p.id: p for p in db.session.scalars(db.select(Project).where(
        Project.id.in_([r.project_id for r in rows])))}
    lines = [services.PaymentLine(r, paid.get(r.id) or services.ZERO) for r in rows]
    done = services.approved_projects({r.project_id for r in rows}, services.INITIATION_PROCESS)
    return lines, projects, {r.project_id: r.project_id in done for r in rows}


@bp.route("/me/<token>", methods=["POST"])
def subscribe(token):
    row = db.session.scalar(db.select(Subscription).where(Subscription.token == token,
                                                          Subscription.user_id == current_user.id))
    if row is None:
        abort(404)
    try:
        services.subscribe(row, parse_money(request.form.get("amount", ""), _("认购金额")), today())
        claim(row)
        db.session.commit()
        flash(_("已提交认购 %(amount)s 元", amount=f"{row.subscribed_amount:,}"), "success")
    except (AmountError, services.SubscriptionError) as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    except RecordLocked:
        db.session.rollback()
        flash(_("认购方案已送审，不能再修改认购"), "danger")
    return redirect(url_for("subscription.my_subscriptions"))
