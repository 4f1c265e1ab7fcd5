"""事业合伙分配: batches of a project, their 测算, hand edits, import, 送审 and 分配通知."""
from __future__ import annotations

from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from core.i18n import gettext as _
from flask_login import current_user

from core import review as reviews
from core import roles
from core.extensions import db
from core.versioning import claim
from plugins.distribution import batching, excel, notices, services
from plugins.distribution.models import KINDS, DistributionBatch
from plugins.subscription import services as subscription
from plugins.subscription.forms import FormReader
from plugins.subscription.models import TIERS
from plugins.distribution.views import bp, staff_project

ZERO = Decimal("0.00")


def _batch_or_404(project, batch_id: int) -> DistributionBatch:
    return batching.batch_or_404(DistributionBatch, project, batch_id)


_done = batching.done  # run, commit; a refused change rolled back and its message flashed


def _back(project, batch=None):
    return redirect(url_for("distribution.batches", project_id=project.id, batch=batch.id if batch else None))


def _summary(batch_list, lines_by_batch):
    """The manual's table: per partner A B C D E of the principal batches, F of each profit batch, D + ΣF."""
    people, order = {}, []
    for batch in batch_list:
        for line in lines_by_batch[batch.id]:
            row = people.get(line.key)
            if row is None:
                row = people[line.key] = {"line": line, "A": ZERO, "B": ZERO, "C": ZERO, "F": {}}
                order.append(line.key)
            if batch.kind != "profit":
                row["A"] += line.principal
                row["B"] += line.interest
                row["C"] += line.other
            row["F"][batch.id] = row["F"].get(batch.id, ZERO) + line.profit
    rows = []
    for sid in order:
        row = people[sid]
        row["D"] = row["A"] - abs(row["B"])
        row["E"] = row["D"] + row["C"]
        row["total"] = row["D"] + sum(row["F"].values(), ZERO)
        rows.append(row)
    totals = {k: sum((r[k] for r in rows), ZERO) for k in ("A", "B", "C", "D", "E", "total")}
    totals["F"] = {b.id: sum((r["F"].get(b.id, ZERO) for r in rows), ZERO) for b in batch_list}
    return rows, totals


@bp.route("/projects/<int:project_id>/batches")
def batches(project_id):
    project = staff_project(project_id, editing=False)
    batch_list = services.batches(project.id)
    lines_by_batch = {b.id: [] for b in batch_list}
    for line in services.project_lines(project.id):
        lines_by_batch[line.batch_id].append(line)
    current = next((b for b in batch_list if str(b.id) == request.args.get("batch")), None)
    rows, totals = _summary(batch_list, lines_by_batch)
    ratios = subscription.ratios(project.id)
    return render_template("distribution/batches.html", project=project, batches=batch_list, current=current,
                           rows=rows, totals=totals, kinds=KINDS, tiers=TIERS, ratios=ratios,
                           lines=lines_by_batch.get(current.id, []) if current else [],
                           review=reviews.review_of(current) if current else None,
                           editable=services.is_editable(current) if current else False,
                           tier_totals=(services.tier_totals(current.net_profit, current.ratio, ratios)
                                        if current and current.net_profit is not None and current.ratio is not None
                                        else {}),
                           interest_start=services.interest_start_setting(project.group_id),
                           liquidated=services.liquidated(project.id), edited=services.EDITED, actual_peak=services.actual_peak(project.id),
                           is_admin=current_user.has_role(roles.BUSINESS_ADMIN),
                           is_accountant=current_user.has_role(*roles.ACCOUNTANTS))


@bp.route("/projects/<int:project_id>/batches/new", methods=["POST"])
def new_batch(project_id):
    project = staff_project(project_id)
    return _back(project, batching.created(lambda: services.create(project, request.form.get("kind", ""))))


@bp.route("/projects/<int:project_id>/batches/<int:batch_id>", methods=["POST"])
def save_inputs(project_id, batch_id):
    """保存: 分配日期, 锦艺方预计净利润, 本次分配比例, 情况说明 and each partner's 其它 (C)."""
    project = staff_project(project_id)
    batch = _batch_or_404(project, batch_id)
    if not services.is_editable(batch):
        flash(_("%(record)s正在审核或已审核通过，需业务管理员解锁后才能修改", record=batch.label), "danger")
        return _back(project, batch)
    reader = FormReader(request.form)
    distributed_on = reader.date("distributed_on", _("分配日期"), required=True)
    net_profit = reader.money("net_profit", _("锦艺方预计净利润"))
    ratio = reader.percent("ratio", _("本次分配比例"))
    note = reader.text("note", _("情况说明"), DistributionBatch.note)
    others = {}
    for line in services.lines(batch.id):
        value = reader.money(f"other-{line.id}", _("其它"), minimum=None)
        if value is not None and value != line.other:
            others[line.key] = value
    if reader.errors:
        flash("；".join(reader.errors.values()), "danger")
        return _back(project, batch)
    claim(batch)
    batch.distributed_on, batch.net_profit, batch.ratio, batch.note = distributed_on, net_profit, ratio, note
    rows = {r.key: r for r in services.lines(batch.id)}
    services.write(batch, _("其它"), [(rows[key], {"other": value}) for key, value in others.items()])
    db.session.commit()
    flash(_("已保存"), "success")
    return _back(project, batch)


@bp.route("/projects/<int:project_id>/batches/<int:batch_id>/compute", methods=["POST"])
def compute(project_id, batch_id):
    """分配测算: 本金分配测算 (A, B) and/or 利润分配测算 (F), as the batch's kind asks."""
    project = staff_project(project_id)
    batch = _batch_or_404(project, batch_id)
    def compute_all():
        if batch.kind in ("principal", "liquidation"):
            services.compute_principal(project, batch)
        if batch.kind == "profit" or (batch.kind == "liquidation" and batch.net_profit is not None):
            services.compute_profit(project, batch)
    if _done(compute_all):
        flash(_("已测算并保存"), "success")
    return _back(project, batch)


@bp.route("/projects/<int:project_id>/batches/<int:batch_id>/unlock", methods=["POST"])
def unlock(project_id, batch_id):
    """解锁编辑 (by_hand=1) / 锁定 (by_hand=0): only the business admin."""
    project = staff_project(project_id, editing=False)
    if not current_user.has_role(roles.BUSINESS_ADMIN):
        abort(403)
    batch = _batch_or_404(project, batch_id)
    if _done(lambda: services.set_by_hand(batch, request.form.get("by_hand") == "1")):
        flash(_("已解锁编辑") if batch.by_hand else _("已锁定"), "success")
    return _back(project, batch)


@bp.route("/projects/<int:project_id>/batches/<int:batch_id>/lines", methods=["POST"])
def edit_lines(project_id, batch_id):
    """手工填写: the amounts of every partner, typed on the page (unlocked batches only)."""
    project = staff_project(project_id)
    batch = _batch_or_404(project, batch_id)
    reader, values = FormReader(request.form), {}
    labels = {"principal": _("事业合伙本金"), "interest": _("资金利息"), "other": _("其它"), "profit": _("利润")}
    for line in services.lines(batch.id):
        figures = {f: reader.money(f"{f}-{line.id}", labels[f], required=True, minimum=None)
                   for f in services.EDITED[batch.kind]}
        if figures.get("interest") is not None:
            figures["interest"] = -abs(figures["interest"])
        values[line.key] = figures
    if reader.errors:
        flash("；".join(sorted(set(reader.errors.values()))), "danger")
        return _back(project, batch)
    if not _done(lambda: services.ensure_by_hand(batch)):
        return _back(project, batch)
    claim(batch)  # of two people typing into the same batch, the second is told
    changed = []
    if _done(lambda: changed.append(services.apply_hand_rows(batch, _("手工填写"), values))):
        flash(_("已保存 %(n)s 位合伙人的分配金额", n=changed[0]), "success")
    return _back(project, batch)


@bp.route("/projects/<int:project_id>/batches/<int:batch_id>/template")
def export_template(project_id, batch_id):
    project = staff_project(project_id, editing=False)
    batch = _batch_or_404(project, batch_id)
    return batching.xlsx(excel.export(batch.label, services.lines(batch.id)), f"{project.name}_{batch.label}.xlsx")


@bp.route("/projects/<int:project_id>/batches/<int:batch_id>/import", methods=["POST"])
def import_lines(project_id, batch_id):
    """导入: every bad row reported with its row number and reason; nothing imported if any is bad."""
    project = staff_project(project_id)
    batch = _batch_or_404(project, batch_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("请选择要导入的文件"), "danger")
        return _back(project, batch)
    known = {line.account: line.key for line in services.lines(batch.id)}
    found, problems = excel.parse(upload.read(), known)
    if problems:
        return render_template("distribution/import_result.html", project=project, batch=batch,
                               problems=problems), 400
    changed = []
    if _done(lambda: changed.append(services.apply_hand_rows(batch, _("导入"), found))):
        flash(_("已导入 %(n)s 行，%(m)s 位合伙人的金额有变化", n=len(found), m=changed[0]), "success")
    return _back(project, batch)


@bp.route("/projects/<int:project_id>/batches/<int:batch_id>/submit", methods=["POST"])
def submit(project_id, batch_id):
    """申请发布审核 (送审): the batch goes to the business admin's review queue; its figures lock."""
    project = staff_project(project_id)
    batch = _batch_or_404(project, batch_id)
    rows = services.lines(batch.id)
    if batch.distributed_on is None or not any(r.with_other + r.profit for r in rows):
        flash(_("请先填写分配日期并完成分配测算"), "danger")
        return _back(project, batch)
    if batching.submit(batch, project, current_user):
        flash(_("已送审"), "success")
    return _back(project, batch)


@bp.route("/projects/<int:project_id>/batches/<int:batch_id>/delete", methods=["POST"])
def delete(project_id, batch_id):
    project = staff_project(project_id)
    batch = _batch_or_404(project, batch_id)
    return _back(project) if batching.deleted(batch, lambda: services.delete(batch)) else _back(project, batch)


@bp.route("/projects/<int:project_id>/batches/<int:batch_id>/notify", methods=["POST"])
def notify(project_id, batch_id):
    """分配通知 at once, by the business admin (otherwise sent on the 分配日期)."""
    project = staff_project(project_id, editing=False)
    if not current_user.has_role(roles.BUSINESS_ADMIN):
        abort(403)
    batch = _batch_or_404(project, batch_id)
    if batch.approved_at is None:
        flash(_("须先完成：%(label)s", label=batch.label), "danger")
        return _back(project, batch)
    sent = notices.send(batch.id, actor=current_user.username, at_once=True)
    db.session.commit()
    flash(_("已向 %(n)s 位合伙人发送分配通知", n=sent) if sent else _("该批次的分配通知已发送"),
          "success" if sent else "info")
    return _back(project, batch)

