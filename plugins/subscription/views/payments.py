"""缴款: payment notice (缴款通知), reminders (催缴), payment confirmation and the summary."""
from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from core.i18n import gettext as _
from flask_login import current_user

from core import outbox
from core.extensions import db
from core.money import AmountError, parse_money
from core.versioning import claim
from plugins.subscription import payments as entries
from plugins.subscription import services
from plugins.subscription.forms import FormReader
from plugins.subscription.models import PAYMENT_KINDS, Payment, Subscription
from plugins.subscription.required import required, totals_by_kind
from plugins.subscription.views import bp, staff_project

ZERO = Decimal("0.00")


def _summary(lines) -> dict:
    due = sum((line.due for line in lines), ZERO)
    paid = sum((line.paid for line in lines), ZERO)
    return {"due": due, "paid": paid, "owed": sum((line.owed for line in lines), ZERO),
            "overpaid": sum((line.overpaid for line in lines), ZERO),
            "count": len([line for line in lines if line.due]),
            "paid_count": len([line for line in lines if line.status in ("paid", "overpaid")])}


@bp.route("/projects/<int:project_id>/payments")
def payments(project_id):
    project = staff_project(project_id, editing=False)
    lines = services.payment_lines(project.id)
    history = db.session.scalars(db.select(Payment).where(Payment.project_id == project.id)
                                 .order_by(Payment.paid_on, Payment.id)).all()
    names = {line.subscription.id: line.subscription.user.name for line in lines}
    return render_template("subscription/payments.html", project=project, lines=lines, summary=_summary(lines),
                           history=history, names=names, kinds=PAYMENT_KINDS, today=entries.today(),
                           plan=services.initiation(project), labels=services.STATUS_LABELS,
                           approved=services.is_approved(project.id, services.INITIATION_PROCESS),
                           required=required(project.id), kind_totals=totals_by_kind(project.id, [
                               (line.subscription.user_id, {"due": line.due, "paid": line.paid, "owed": line.owed,
                                                            "overpaid": line.overpaid}) for line in lines]))


def _payment_notice(project, plan, line, reminder: bool) -> str:
    text = _("请于 %(deadline)s 前将 %(amount)s 元缴入：%(name)s，%(bank)s，账号 %(account)s。",
             deadline=plan.payment_deadline.isoformat() if plan.payment_deadline else "—",
             amount=f"{(line.owed if reminder else line.due):,}", name=plan.payee_name, bank=plan.payee_bank,
             account=plan.payee_account)
    if reminder:
        return _("您在%(project)s尚有 %(owed)s 元未缴。", project=project.name, owed=f"{line.owed:,}") + text
    return _("您在%(project)s的投资金额为 %(due)s 元。", project=project.name, due=f"{line.due:,}") + text


@bp.route("/projects/<int:project_id>/payments/notify", methods=["POST"])
def notify_payment(project_id):
    """缴款通知 (kind=notice) to everyone with an investment, or 催缴 (kind=reminder) to who still owes."""
    project = staff_project(project_id, editing=False)
    if entries.plan_problem(project):
        flash(entries.plan_problem(project), "danger")
        return redirect(url_for("subscription.payments", project_id=project.id))
    reminder = request.form.get("kind") == "reminder"
    plan = services.initiation(project)
    invested = [line for line in services.payment_lines(project.id) if line.due > 0]
    lines = [line for line in invested if line.owed > 0]  # who has paid in full is not concerned
    title = (_("催缴通知：%(project)s") if reminder else _("缴款通知：%(project)s")) % {"project": project.name}
    channels = outbox.personal_channels(project.group_id)
    if request.form.get("test") == "1":
        sample = _payment_notice(project, plan, lines[0], reminder) if lines else title
        outbox.notify(project.group_id, [current_user.id], _("【测试】") + title, sample, link="/subscription/me",
                      channels_=channels, kind="subscription.payment.test", project_id=project.id,
                      actor=current_user.username, is_test=True)
        db.session.commit()
        flash(_("测试消息已发送给您自己"), "success")
        return redirect(url_for("subscription.payments", project_id=project.id))
    if not lines:
        flash(_("没有需要通知的合伙人：%(m)s 位已缴清", m=len(invested)) if invested else _("没有需要通知的合伙人"),
              "info")
        return redirect(url_for("subscription.payments", project_id=project.id))
    batch = outbox.notify_each(project.group_id, [(line.subscription.user_id, _payment_notice(project, plan, line,
                                                                                              reminder))
                                                  for line in lines], title, link="/subscription/me",
                               channels_=channels, kind="subscription.reminder" if reminder else "subscription.payment",
                               project_id=project.id, actor=current_user.username)
    db.session.commit()
    flash(_("已向 %(n)s 位未缴清的合伙人发送%(what)s；%(m)s 位已缴清，未发送", n=len(lines), m=len(invested) - len(lines),
            what=_("催缴通知") if reminder else _("缴款通知")), "success")
    return redirect(url_for("subscription.payments", project_id=project.id, batch=batch.id))


@bp.route("/projects/<int:project_id>/payments/<int:subscription_id>", methods=["POST"])
def confirm_payment(project_id, subscription_id):
    """缴款确认: a payment with its date and amount; several per partner allowed."""
    project = staff_project(project_id)
    row = _subscription_or_404(project, subscription_id)
    if entries.plan_problem(project):
        flash(entries.plan_problem(project), "danger")
        return redirect(url_for("subscription.payments", project_id=project.id))
    reader = FormReader(request.form)
    paid_on = reader.date("paid_on", _("缴款日期"), required=True)
    amount = reader.money("amount", _("缴款金额"), required=True, minimum=Decimal("0.01"))
    late = entries.date_problem(paid_on, _("缴款日期"))
    if late:
        reader.errors["paid_on"] = late
    if reader.errors:
        flash(f"{row.user.name}：" + "；".join(reader.errors.values()), "danger")
        return redirect(url_for("subscription.payments", project_id=project.id))
    entries.confirm(row, paid_on, amount, current_user.username)
    db.session.commit()
    flash(_("已确认 %(name)s 缴款 %(amount)s 元", name=row.user.name, amount=f"{amount:,}"), "success")
    return redirect(url_for("subscription.payments", project_id=project.id))


def _subscription_or_404(project, subscription_id: int) -> Subscription:
    row = db.session.scalar(db.select(Subscription).where(Subscription.id == subscription_id,
                                                          Subscription.project_id == project.id))
    if row is None:
        abort(404)
    return row


@bp.route("/projects/<int:project_id>/payments/entries/<int:payment_id>/reverse", methods=["POST"])
def reverse_payment(project_id, payment_id):
    """冲销: a wrong entry leaves the totals, with a reason; it stays on the list."""
    project = staff_project(project_id)
    payment = db.session.scalar(db.select(Payment).where(Payment.id == payment_id, Payment.project_id == project.id))
    if payment is None:
        abort(404)
    try:
        entries.reverse(payment, request.form.get("reason") or "", current_user.username)
        db.session.commit()
        flash(_("已冲销 %(entry)s", entry=str(payment)), "success")
    except entries.PaymentError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    return redirect(url_for("subscription.payments", project_id=project.id))


@bp.route("/projects/<int:project_id>/payments/<int:subscription_id>/refund", methods=["POST"])
def refund_payment(project_id, subscription_id):
    """退款: what the partner overpaid, as the page showed it, goes back to them."""
    project = staff_project(project_id)
    row = _subscription_or_404(project, subscription_id)
    reader = FormReader(request.form)
    refunded_on = reader.date("refunded_on", _("退款日期"), required=True)
    late = entries.date_problem(refunded_on, _("退款日期"))
    try:
        if late or reader.errors:
            raise entries.PaymentError(late or "；".join(reader.errors.values()))
        shown = parse_money(request.form.get("amount", ""), _("退款金额"))
        claim(row)
        payment = entries.refund(row, refunded_on, shown, current_user.username)
        db.session.commit()
        flash(_("已向 %(name)s 退款 %(amount)s 元", name=row.user.name, amount=f"{-payment.amount:,}"), "success")
    except (AmountError, entries.PaymentError) as exc:
        db.session.rollback()
        flash(f"{row.user.name}：{exc}", "danger")
    return redirect(url_for("subscription.payments", project_id=project.id))
