"""小股东/股东登记: register a shareholder, 申请审核; the business admin 审核通过 or 退回 (core.review)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from core.i18n import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from core import review as reviews
from core import roles
from core.extensions import db
from core.forms import limits
from core.versioning import claim
from plugins.distribution import batching
from plugins.minority import checks, services
from plugins.minority.models import KINDS, MinorityShareholder
from plugins.minority.views import bp, staff_project
from plugins.subscription.forms import FormReader

TEXTS = (("name", "股东名称", True), ("contact", "联系人", False), ("phone", "联系电话", False),
         ("bank", "开户行", False), ("account_name", "户名", False), ("account_number", "账号", False))


def _row_or_404(project, shareholder_id: int) -> MinorityShareholder:
    row = db.session.scalar(db.select(MinorityShareholder).where(MinorityShareholder.id == shareholder_id,
                                                                 MinorityShareholder.project_id == project.id))
    if row is None:
        abort(404)
    return row


def _read(project, own: MinorityShareholder | None):
    """The posted registration, every field checked: (values, errors)."""
    reader = FormReader(request.form)
    labels = {"name": _("股东名称"), "contact": _("联系人"), "phone": _("联系电话"), "bank": _("开户行"),
              "account_name": _("户名"), "account_number": _("账号")}
    values = {name: reader.text(name, labels[name], getattr(MinorityShareholder, name), required=required)
              for name, _label, required in TEXTS}
    kind = request.form.get("kind", "")
    if kind not in KINDS:
        reader.errors["kind"] = _("请选择股东类型")
    number = checks.normalise(request.form.get("id_number", ""))
    if not number:
        reader.errors["id_number"] = _("请填写%(label)s", label=_("证件号码"))
    elif kind in KINDS:
        problem = services.id_problem(kind, number[:40])
        if problem:
            reader.errors["id_number"] = problem
    stake = reader.percent("stake", _("持股比例"), required=True)
    if stake is not None and stake <= 0:
        reader.errors["stake"] = _("%(label)s须大于 0", label=_("持股比例"))
    name = (request.form.get("cooperation") or "").strip()
    if stake is not None and "stake" not in reader.errors:
        problem = services.stake_problem(project.id, name, stake, own.id if own else None)
        if problem:
            reader.errors[problem[0]] = problem[1]
    if not reader.errors:
        taken = db.session.scalar(db.select(MinorityShareholder.id).where(
            MinorityShareholder.project_id == project.id, MinorityShareholder.id_number == number,
            MinorityShareholder.id != (own.id if own else 0)))
        if taken is not None:
            reader.errors["id_number"] = _("本项目已登记证件号码为 %(n)s 的股东", n=number)
    values.update(kind=kind, id_number=number, stake=stake, cooperation=name)
    return values, reader.errors


def _committed() -> bool:
    """Commit; False (rolled back) when the same identifier was registered meanwhile (the table's unique key)."""
    try:
        db.session.commit()
        return True
    except IntegrityError:
        db.session.rollback()
        return False


def _page(project, errors=None, editing=None, status=200):
    rows = services.shareholders(project.id)
    return render_template("minority/shareholders.html", project=project, rows=rows, errors=errors or {},
                           form=request.form if errors else None, editing=editing, kinds=KINDS,
                           reviews=services.review_states(MinorityShareholder.__tablename__, [r.id for r in rows]),
                           cooperation=[r for r in services.cooperation(project.id) if not r.ours],
                           stakes=services.stakes(project.id), limits=limits(MinorityShareholder),
                           is_editable=reviews.is_editable, is_admin=current_user.has_role(roles.BUSINESS_ADMIN),
                           is_accountant=current_user.has_role(*roles.ACCOUNTANTS)), status


@bp.route("/projects/<int:project_id>/shareholders", methods=["GET", "POST"])
def shareholders(project_id):
    """股东登记: the project's shareholders; POST 登录股东信息 (a new registration)."""
    project = staff_project(project_id, editing=request.method == "POST")
    editing = None
    if request.method == "GET" and request.args.get("edit"):
        editing = _row_or_404(project, request.args.get("edit", type=int) or 0)
    if request.method == "POST":
        values, errors = _read(project, None)
        if errors:
            return _page(project, errors, status=400)
        db.session.add(MinorityShareholder(project_id=project.id, **values))
        if not _committed():
            return _page(project, {"id_number": _("本项目已登记证件号码为 %(n)s 的股东", n=values["id_number"])},
                         status=400)
        flash(_("已登记股东：%(name)s", name=values["name"]), "success")
        return redirect(url_for("minority.shareholders", project_id=project.id))
    return _page(project, editing=editing)


@bp.route("/projects/<int:project_id>/shareholders/<int:shareholder_id>", methods=["POST"])
def edit_shareholder(project_id, shareholder_id):
    project = staff_project(project_id)
    row = _row_or_404(project, shareholder_id)
    if not reviews.is_editable(row):
        flash(_("%(record)s正在审核或已审核通过，需业务管理员解锁后才能修改", record=row.name), "danger")
        return redirect(url_for("minority.shareholders", project_id=project.id))
    values, errors = _read(project, row)
    if errors:
        return _page(project, errors, editing=row, status=400)
    claim(row)
    for name, value in values.items():
        setattr(row, name, value)
    if not _committed():
        return _page(project, {"id_number": _("本项目已登记证件号码为 %(n)s 的股东", n=values["id_number"])},
                     editing=_row_or_404(project, shareholder_id), status=400)
    flash(_("已保存"), "success")
    return redirect(url_for("minority.shareholders", project_id=project.id))


@bp.route("/projects/<int:project_id>/shareholders/<int:shareholder_id>/submit", methods=["POST"])
def submit_shareholder(project_id, shareholder_id):
    """申请审核: the registration goes to the business admin; it cannot change meanwhile."""
    project = staff_project(project_id)
    row = _row_or_404(project, shareholder_id)
    try:
        reviews.submit(row, current_user, _("%(project)s 股东登记 %(name)s", project=project.name, name=row.name),
                       project.id)
        db.session.commit()
        flash(_("已申请审核"), "success")
    except reviews.ReviewError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    return redirect(url_for("minority.shareholders", project_id=project.id))


@bp.route("/projects/<int:project_id>/shareholders/<int:shareholder_id>/delete", methods=["POST"])
def delete_shareholder(project_id, shareholder_id):
    project = staff_project(project_id)
    row = _row_or_404(project, shareholder_id)
    name = row.name
    if batching.done(lambda: services.delete_shareholder(row)):
        flash(_("已删除股东：%(name)s", name=name), "success")
    return redirect(url_for("minority.shareholders", project_id=project.id))
