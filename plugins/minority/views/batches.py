"""小股东/股东分配: 新建分配批次, 录入分配 (by hand or by stake), 申请审核, the business admin's 审核通过
(the batch locks with its date), and the Excel for the bank. The batch machinery is the distribution
plugin's (plugins.distribution.batching)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from core.i18n import gettext as _
from flask_login import current_user

from core import review as reviews
from core import roles
from core.extensions import db
from core.versioning import claim
from plugins.distribution import batching
from plugins.minority import services
from plugins.minority.models import ZERO, MinorityBatch
from plugins.minority.views import bp, staff_project
from plugins.subscription.forms import FormReader


def _batch_or_404(project, batch_id: int) -> MinorityBatch:
    return batching.batch_or_404(MinorityBatch, project, batch_id)


def _back(project, batch=None):
    return redirect(url_for("minority.batches", project_id=project.id, batch=batch.id if batch else None))


@bp.route("/projects/<int:project_id>/batches")
def batches(project_id):
    project = staff_project(project_id, editing=False)
    batch_list = services.batches(project.id)
    current = next((b for b in batch_list if str(b.id) == request.args.get("batch")), None)
    rows = services.lines(current.id) if current else []
    return render_template("minority/batches.html", project=project, batches=batch_list, current=current,
                           lines=rows, total=sum((r.amount for r in rows), ZERO),
                           review=reviews.review_of(current) if current else None,
                           editable=batching.is_editable(current) if current else False,
                           is_admin=current_user.has_role(roles.BUSINESS_ADMIN),
                           is_accountant=current_user.has_role(*roles.ACCOUNTANTS))


@bp.route("/projects/<int:project_id>/batches/new", methods=["POST"])
def new_batch(project_id):
    project = staff_project(project_id)
    return _back(project, batching.created(lambda: services.create(project)))


@bp.route("/projects/<int:project_id>/batches/<int:batch_id>", methods=["POST"])
def save_inputs(project_id, batch_id):
    """保存: 项目可分配金额, 分配日期, 情况说明."""
    project = staff_project(project_id)
    batch = _batch_or_404(project, batch_id)
    if not batching.is_editable(batch):
        flash(_("%(record)s正在审核或已审核通过，需业务管理员解锁后才能修改", record=batch.label), "danger")
        return _back(project, batch)
    reader = FormReader(request.form)
    distributable = reader.money("distributable", _("项目可分配金额"))
    distributed_on = reader.date("distributed_on", _("分配日期"), required=True)
    note = reader.text("note", _("情况说明"), MinorityBatch.note)
    if reader.errors:
        flash("；".join(reader.errors.values()), "danger")
        return _back(project, batch)
    claim(batch)
    batch.distributable, batch.distributed_on, batch.note = distributable, distributed_on, note
    db.session.commit()
    flash(_("已保存"), "success")
    return _back(project, batch)


@bp.route("/projects/<int:project_id>/batches/<int:batch_id>/compute", methods=["POST"])
def compute(project_id, batch_id):
    """按持股比例计算: 项目可分配金额 × each stake, largest remainder to the cent."""
    project = staff_project(project_id)
    batch = _batch_or_404(project, batch_id)
    if batching.done(lambda: services.compute(batch)):
        flash(_("已按持股比例计算并保存"), "success")
    return _back(project, batch)


@bp.route("/projects/<int:project_id>/batches/<int:batch_id>/lines", methods=["POST"])
def edit_lines(project_id, batch_id):
    """录入分配: every shareholder's amount typed on the page."""
    project = staff_project(project_id)
    batch = _batch_or_404(project, batch_id)
    reader, amounts = FormReader(request.form), {}
    for line in services.lines(batch.id):
        amounts[line.id] = reader.money(f"amount-{line.id}", _("分配金额"), required=True)
    if reader.errors:
        flash("；".join(sorted(set(reader.errors.values()))), "danger")
        return _back(project, batch)
    if not batching.done(lambda: batching.ensure_editable(batch)):
        return _back(project, batch)
    claim(batch)  # of two people typing into the same batch, the second is told
    changed = []
    if batching.done(lambda: changed.append(services.enter(batch, amounts))):
        flash(_("已保存 %(n)s 位股东的分配金额", n=changed[0]), "success")
    return _back(project, batch)


@bp.route("/projects/<int:project_id>/batches/<int:batch_id>/submit", methods=["POST"])
def submit(project_id, batch_id):
    """申请审核: the batch goes to the business admin's review; its amounts lock."""
    project = staff_project(project_id)
    batch = _batch_or_404(project, batch_id)
    if batch.distributed_on is None or not any(r.amount for r in services.lines(batch.id)):
        flash(_("请先填写分配日期并录入分配"), "danger")
        return _back(project, batch)
    if batching.submit(batch, project, current_user):
        flash(_("已申请审核"), "success")
    return _back(project, batch)


@bp.route("/projects/<int:project_id>/batches/<int:batch_id>/delete", methods=["POST"])
def delete(project_id, batch_id):
    project = staff_project(project_id)
    batch = _batch_or_404(project, batch_id)
    return _back(project) if batching.deleted(batch, lambda: services.delete(batch)) else _back(project, batch)


@bp.route("/projects/<int:project_id>/batches/<int:batch_id>/export")
def export(project_id, batch_id):
    """导出 for the bank: each shareholder's account and amount, and the total."""
    project = staff_project(project_id, editing=False)
    batch = _batch_or_404(project, batch_id)
    return batching.xlsx(services.bank_sheet(project, batch), f"{project.name}_{batch.label}.xlsx")
