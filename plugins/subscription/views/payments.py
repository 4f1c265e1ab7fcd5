"""缴款: payment notice (缴款通知), reminders (催缴), payment confirmation and the summary."""
from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import outbox
from core.events import emit
from core.extensions import db
from core.models.user import utcnow
from plugins.subscription import services
from plugins.subscription.events import PaymentConfirmed
from plugins.subscription.forms import FormReader
from plugins.subscription.models import Payment, Subscription
from plugins.subscription.views import bp, staff_project

ZERO = Decimal("0.00")


def _summary(lines) -> dict:
    due = sum((line.due for line in lines), ZERO)
    paid = sum((line.paid for line in lines), ZERO)
    return {"due": due, "paid": paid, "owed": sum((line.owed for line in lines), ZERO),
            "count": len([line for line in lines if line.due]),
            "paid_count": len([line for line in lines if line.status in ("paid", "overpaid")])}


@bp.route("/projects/<int:project_id>/payments")
def payments(project_id):
    project = staff_project(project_id, editing=False)
    lines = services.payment_lines(project.id)
    history = db.session.scalars(db.select(Payment).where(Payment.project_id == project.id)
                                 .order_by(Payment.paid_on, Payment.id)).all()
    return render_template("subscription/payments.html", project=project, lines=lines, summary=_summary(lines),
                           history=history, plan=services.initiation(project), labels=services.STATUS_LABELS,
                           approved=services.is_approved(project.id, services.INITIATION_PROCESS))


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
    if not services.is_approved(project.id, services.INITIATION_PROCESS):
        flash(_("须先完成：事业合伙立项"), "danger")
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
    row = db.session.scalar(db.select(Subscription).where(Subscription.id == subscription_id,
                                                          Subscription.project_id == project.id))
    if row is None:
        abort(404)
    if not services.is_approved(project.id, services.INITIATION_PROCESS):
        flash(_("须先完成：事业合伙立项"), "danger")
        return redirect(url_for("subscription.payments", project_id=project.id))
    reader = FormReader(request.form)
    paid_on = reader.date("paid_on", _("缴款日期"), required=True)
    amount = reader.money("amount", _("缴款金额"), required=True, minimum=Decimal("0.01"))
    if reader.errors:
        flash(f"{row.user.name}：" + "；".join(reader.errors.values()), "danger")
        return redirect(url_for("subscription.payments", project_id=project.id))
    payment = Payment(subscription_id=row.id, project_id=project.id, paid_on=paid_on, amount=amount,
                      recorded_by=current_user.username, recorded_at=utcnow())
    db.session.add(payment)
    db.session.flush()
    total = db.session.scalar(db.select(db.func.sum(Payment.amount)).where(Payment.subscription_id == row.id))
    emit(PaymentConfirmed(group_id=project.group_id, project_id=project.id, subscription_id=row.id,
                          payment_id=payment.id, amount=f"{amount:.2f}", paid_total=f"{Decimal(total):.2f}"))
    db.session.commit()
    flash(_("已确认 %(name)s 缴款 %(amount)s 元", name=row.user.name, amount=f"{amount:,}"), "success")
    return redirect(url_for("subscription.payments", project_id=project.id))
