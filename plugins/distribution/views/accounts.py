"""分配账户 (a partner's own, and the project's list for the accountant), 分配账户确认通知, 个人中心 / 我的分配."""
from __future__ import annotations

import re

from flask import abort, flash, redirect, render_template, request, url_for
from core.i18n import gettext as _
from flask_login import current_user

from core import outbox, roles
from core.extensions import db
from core.models import Project
from core.models.user import utcnow
from core.versioning import claim
from plugins.distribution.models import DistributionAccount, DistributionBatch, DistributionLine
from plugins.distribution.views import bp, staff_project
from plugins.subscription.forms import FormReader
from plugins.subscription.models import Subscription

ACCOUNT_NUMBER = re.compile(r"^[0-9]{8,30}$")


def account_of(user_id: int) -> DistributionAccount | None:
    return db.session.scalar(db.select(DistributionAccount).where(DistributionAccount.user_id == user_id))


@bp.route("/me", methods=["GET", "POST"])
def me():
    """个人中心: the partner's 分配账户 and every distribution of every project (approved batches)."""
    if not current_user.has_role(roles.PARTNER):
        abort(403)
    account = account_of(current_user.id)
    if request.method == "POST":
        reader = FormReader(request.form)
        holder = reader.text("holder", _("户名"), DistributionAccount.holder, required=True)
        bank = reader.text("bank", _("开户行"), DistributionAccount.bank, required=True)
        number = reader.text("number", _("账号"), DistributionAccount.number, required=True).replace(" ", "")
        if number and not ACCOUNT_NUMBER.match(number):
            reader.errors["number"] = _("账号须为 8 至 30 位数字")
        if reader.errors:
            flash("；".join(reader.errors.values()), "danger")
            return render_template("distribution/me.html", **_mine(account), form=request.form), 400
        if account is None:
            account = DistributionAccount(user_id=current_user.id)
            db.session.add(account)
        else:
            claim(account)
        account.holder, account.bank, account.number, account.confirmed_at = holder, bank, number, utcnow()
        db.session.commit()
        flash(_("已保存分配账户"), "success")
        return redirect(url_for("distribution.me"))
    return render_template("distribution/me.html", **_mine(account), form=None)


def _mine(account):
    rows = db.session.execute(db.select(DistributionLine, DistributionBatch, Project).join(DistributionBatch, DistributionBatch.id == DistributionLine.batch_id)
                              .join(Project, Project.id == DistributionLine.project_id)
                              .where(DistributionLine.user_id == current_user.id, DistributionBatch.approved_at.is_not(None))
                              .order_by(Project.name, DistributionBatch.distributed_on, DistributionBatch.id)).all()
    return {"account": account, "rows": rows}


@bp.route("/me/confirm", methods=["POST"])
def confirm_account():
    """The partner's answer to the 分配账户确认通知: the account shown is right."""
    if not current_user.has_role(roles.PARTNER):
        abort(403)
    account = account_of(current_user.id)
    if account is None:
        flash(_("请先填写分配账户"), "danger")
        return redirect(url_for("distribution.me"))
    claim(account)
    account.confirmed_at = utcnow()
    db.session.commit()
    flash(_("已确认分配账户"), "success")
    return redirect(url_for("distribution.me"))


@bp.route("/projects/<int:project_id>/accounts")
def accounts(project_id):
    """The project's partners and their 分配账户 (the accountant sees the full number)."""
    project = staff_project(project_id, editing=False)
    members = db.session.execute(db.select(Subscription, DistributionAccount).outerjoin(DistributionAccount, DistributionAccount.user_id == Subscription.user_id)
                                 .where(Subscription.project_id == project.id, Subscription.investment > 0)
                                 .order_by(Subscription.id)).all()
    return render_template("distribution/accounts.html", project=project, members=members,
                           full=current_user.has_role(*roles.ACCOUNTANTS))


@bp.route("/projects/<int:project_id>/accounts/notify", methods=["POST"])
def notify_accounts(project_id):
    """分配账户确认通知 to every partner of the project."""
    project = staff_project(project_id)
    user_ids = db.session.scalars(db.select(Subscription.user_id).where(Subscription.project_id == project.id,
                                                                        Subscription.investment > 0)).all()
    if not user_ids:
        flash(_("没有需要通知的合伙人"), "info")
        return redirect(url_for("distribution.accounts", project_id=project.id))
    outbox.notify(project.group_id, user_ids, _("分配账户确认通知：%(project)s", project=project.name),
                  _("请在个人中心维护并确认您的分配账户（户名、开户行、账号）。"), link="/distribution/me",
                  channels_=outbox.personal_channels(project.group_id), kind="distribution.account",
                  project_id=project.id, actor=current_user.username)
    db.session.commit()
    flash(_("已向 %(n)s 位合伙人发送分配账户确认通知", n=len(user_ids)), "success")
    return redirect(url_for("distribution.accounts", project_id=project.id))
