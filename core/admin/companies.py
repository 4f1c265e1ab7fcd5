"""城市公司: the company tree of the group, and the managed list of batches (管理批次)."""
from flask import flash, redirect, render_template, request, url_for
from core.i18n import gettext as _

from core.admin import bp
from core.admin.forms import BatchForm, CompanyForm
from core.extensions import db
from core.models import Batch, Company, Project
from core.permissions import get_or_404
from core.versioning import claim


def company_tree() -> list[tuple[int, Company]]:
    """(depth, company) in tree order."""
    companies = db.session.scalars(db.select(Company).order_by(Company.name)).all()
    children: dict[int | None, list[Company]] = {}
    for c in companies:
        children.setdefault(c.parent_id, []).append(c)
    out, stack = [], [(0, c) for c in reversed(children.get(None, []))]
    while stack:
        depth, c = stack.pop()
        out.append((depth, c))
        stack += [(depth + 1, k) for k in reversed(children.get(c.id, []))]
    return out


def _descendants(company_id: int) -> set[int]:
    ids, frontier = set(), [company_id]
    rows = db.session.execute(db.select(Company.id, Company.parent_id)).all()
    while frontier:
        current = frontier.pop()
        for cid, parent in rows:
            if parent == current and cid not in ids:
                ids.add(cid)
                frontier.append(cid)
    return ids


@bp.route("/companies", methods=["GET", "POST"])
@bp.route("/companies/<int:company_id>", methods=["GET", "POST"])
def companies(company_id=None):
    company = get_or_404(Company, company_id) if company_id else None
    form = CompanyForm(obj=company)
    excluded = {company.id} | _descendants(company.id) if company else set()
    form.parent_id.choices = [(0, _("（集团）"))] + [
        (c.id, "　" * d + c.name) for d, c in company_tree() if c.id not in excluded]
    if form.validate_on_submit():
        name = form.name.data.strip()
        clash = db.session.scalar(db.select(Company).where(Company.name == name, Company.id != (company_id or 0)))
        if clash:
            form.name.errors.append(_("名称已存在"))
        else:
            claim(company)
            target = company or Company()
            target.name, target.kind, target.region = name, form.kind.data, (form.region.data or "").strip()
            target.parent_id = form.parent_id.data or None
            db.session.add(target)
            db.session.commit()
            flash(_("已保存"), "success")
            return redirect(url_for("admin.companies"))
    elif request.method == "GET" and company:
        form.parent_id.data = company.parent_id or 0
    counts = dict(db.session.execute(
        db.select(Project.company_id, db.func.count()).group_by(Project.company_id)).all())
    return render_template("admin/companies.html", form=form, company=company, tree=company_tree(),
                           counts=counts)


@bp.route("/batches", methods=["GET", "POST"])
def batches():
    form = BatchForm()
    if form.validate_on_submit():
        name = form.name.data.strip()
        if db.session.scalar(db.select(Batch).where(Batch.name == name)):
            form.name.errors.append(_("批次已存在"))
        else:
            db.session.add(Batch(name=name))
            db.session.commit()
            flash(_("已保存"), "success")
            return redirect(url_for("admin.batches"))
    rows = db.session.execute(
        db.select(Batch, db.func.count(Project.id)).outerjoin(Project, Project.batch_id == Batch.id)
        .group_by(Batch.id).order_by(Batch.name.desc())).all()
    return render_template("admin/batches.html", form=form, rows=rows)


@bp.route("/batches/<int:batch_id>/delete", methods=["POST"])
def delete_batch(batch_id):
    batch = get_or_404(Batch, batch_id)
    if db.session.scalar(db.select(db.func.count()).select_from(Project).where(Project.batch_id == batch.id)):
        flash(_("批次 %(name)s 仍被项目使用，不能删除", name=batch.name), "danger")
    else:
        db.session.delete(batch)
        db.session.commit()
        flash(_("已删除"), "success")
    return redirect(url_for("admin.batches"))
