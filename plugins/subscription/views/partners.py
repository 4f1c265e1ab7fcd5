"""合伙名单: add partners with their tier, bounds and deadline; Excel template and import; 认购通知."""
from flask import Response, abort, flash, redirect, render_template, request, url_for
from core.i18n import gettext as _
from flask_login import current_user

from core import outbox, roles
from core.extensions import db
from core.forms import limits, read_id
from core.models import User, UserRole
from plugins.subscription import excel, services
from plugins.subscription.required import required, waive
from plugins.subscription.forms import FormReader
from plugins.subscription.models import TIERS, Subscription
from plugins.subscription.views import bp, staff_project


def _partner_users(usernames) -> dict[str, User]:
    partners = db.select(UserRole.user_id).where(UserRole.role == roles.PARTNER)
    users = db.session.scalars(db.select(User).where(User.username.in_(usernames), User.id.in_(partners))).all()
    return {u.username: u for u in users}


@bp.route("/projects/<int:project_id>/partners", methods=["GET", "POST"])
def partners(project_id):
    project = staff_project(project_id, editing=request.method == "POST")
    errors = {}
    if request.method == "POST":
        reader = FormReader(request.form)
        username = reader.text("username", _("账号"), User.username, required=True)
        tier = request.form.get("tier", "")
        if tier not in TIERS:
            reader.errors["tier"] = _("请选择层级")
        low = reader.money("min_amount", _("认购下限"), required=True)
        high = reader.money("max_amount", _("认购上限"), required=True)
        deadline = reader.date("deadline", _("截至日期"), required=True)
        if low is not None and high is not None and high < low:
            reader.errors["max_amount"] = _("认购上限不能小于认购下限")
        user = _partner_users([username]).get(username) if username else None
        if username and user is None and "username" not in reader.errors:
            reader.errors["username"] = _("没有账号为 %(u)s 的合伙人", u=username)
        elif user and db.session.scalar(db.select(Subscription.id).where(
                Subscription.project_id == project.id, Subscription.user_id == user.id)):
            reader.errors["username"] = _("%(name)s 已在合伙名单中", name=user.name)
        elif user and low is not None and (problem := _below_minimum(project.id, user, low)):
            reader.errors["min_amount"] = problem
        errors = reader.errors
        if not errors:
            db.session.add(Subscription(project_id=project.id, user_id=user.id, tier=tier, min_amount=low,
                                        max_amount=high, deadline=deadline, token=services.new_token()))
            db.session.commit()
            flash(_("已添加 %(name)s", name=user.name), "success")
            return redirect(url_for("subscription.partners", project_id=project.id))
    rows = services.subscriptions(project.id)
    return render_template("subscription/partners.html", project=project, rows=rows, errors=errors, limits=limits(User),
                           form=request.form if errors else None, tiers=TIERS, required=required(project.id),
                           proposed=_proposed(project, rows))


def _below_minimum(project_id: int, user: User, low) -> str | None:
    """Why ``low`` cannot be the lower bound of a required partner (强投...): below their minimum."""
    need = required(project_id).get(user.id)
    if need is not None and low < need.minimum:
        return _("%(name)s 是%(label)s合伙人，认购下限不能低于 %(low)s", name=user.name, label=need.label,
                 low=f"{need.minimum:,}")
    return None


def _proposed(project, rows) -> list[tuple[User, object]]:
    """The required partners (强投...) not on the list yet, with their user."""
    listed = {s.user_id for s in rows}
    wanted = {uid: r for uid, r in required(project.id).items() if uid not in listed}
    users = db.session.scalars(db.select(User).where(User.id.in_(wanted)).order_by(User.username)).all()
    return [(u, wanted[u.id]) for u in users]


@bp.route("/projects/<int:project_id>/partners/required", methods=["POST"])
def add_required(project_id):
    """列入合伙名单: every proposed required partner, with their minimum as lower bound."""
    project = staff_project(project_id)
    reader = FormReader(request.form)
    high = reader.money("max_amount", _("认购上限"), required=True)
    deadline = reader.date("deadline", _("截至日期"), required=True)
    proposed = _proposed(project, services.subscriptions(project.id))
    if reader.errors or not proposed:
        flash("；".join(reader.errors.values()) or _("没有待列入的合伙人"), "danger")
        return redirect(url_for("subscription.partners", project_id=project.id))
    db.session.add_all([Subscription(project_id=project.id, user_id=user.id, tier=need.tier, min_amount=need.minimum,
                                     max_amount=max(high, need.minimum), deadline=deadline,
                                     token=services.new_token()) for user, need in proposed])
    db.session.commit()
    flash(_("已列入 %(n)s 名合伙人，认购下限为其最低认购额", n=len(proposed)), "success")
    return redirect(url_for("subscription.partners", project_id=project.id))


REASON_MAX = 200


def _reason(field: str = "reason") -> str | None:
    """The reason given for leaving a required partner off the list: 1 to REASON_MAX characters, else None."""
    reason = (request.form.get(field) or "").strip()
    return reason if 0 < len(reason) <= REASON_MAX else None


@bp.route("/projects/<int:project_id>/partners/required/<int:user_id>/waive", methods=["POST"])
def waive_required(project_id, user_id):
    """不列入: a proposed required partner is left off the list, with a reason (recorded by their plugin)."""
    project = staff_project(project_id)
    if user_id not in {u.id for u, _need in _proposed(project, services.subscriptions(project.id))}:
        abort(404)
    reason = _reason()
    if reason is None:
        flash(_("请填写不列入的原因（最多 %(n)s 个字）", n=REASON_MAX), "danger")
    else:
        waive(project.id, user_id, reason)
        db.session.commit()
        flash(_("已记录不列入的原因"), "success")
    return redirect(url_for("subscription.partners", project_id=project.id))


@bp.route("/projects/<int:project_id>/partners/<int:subscription_id>/delete", methods=["POST"])
def remove_partner(project_id, subscription_id):
    project = staff_project(project_id)
    row = db.session.scalar(db.select(Subscription).where(Subscription.id == subscription_id,
                                                          Subscription.project_id == project.id))
    if row is None:
        abort(404)
    needed = required(project.id).get(row.user_id)
    reason = _reason(f"reason_{row.id}") or _reason()
    if row.subscribed_amount is not None:
        flash(_("%(name)s 已认购，不能移出名单", name=row.user.name), "danger")
    elif needed is not None and reason is None:
        flash(_("%(name)s 是%(label)s合伙人，移出须填写原因（最多 %(n)s 个字）", name=row.user.name, label=needed.label,
                n=REASON_MAX), "danger")
    else:
        if needed is not None:
            waive(project.id, row.user_id, reason)
        db.session.delete(row)
        db.session.commit()
        flash(_("已移出 %(name)s", name=row.user.name), "success")
    return redirect(url_for("subscription.partners", project_id=project.id))


@bp.route("/projects/<int:project_id>/partners/template.xlsx")
def export_partners(project_id):
    project = staff_project(project_id, editing=False)
    data = excel.export_template(services.subscriptions(project.id), TIERS)
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename=partners-{project.code}.xlsx"})


@bp.route("/projects/<int:project_id>/partners/import", methods=["POST"])
def import_partners(project_id):
    """导入: new partners are added, listed ones updated where the file changes them; all rows or none."""
    project = staff_project(project_id)
    upload = request.files.get("file")
    rows, problems = excel.parse(upload.read() if upload else b"", {str(v): k for k, v in TIERS.items()})
    users = _partner_users([r.username for r in rows])
    listed = {s.user_id: s for s in db.session.scalars(db.select(Subscription)
                                                       .where(Subscription.project_id == project.id))}
    seen, added, changed = set(), [], []
    for r in rows:
        user = users.get(r.username)
        if user is None:
            problems.append(_("第%(n)s行：没有账号为 %(u)s 的合伙人", n=r.row, u=r.username))
        elif user.id in seen:
            problems.append(_("第%(n)s行：%(name)s 在文件中重复出现", n=r.row, name=user.name))
        else:
            seen.add(user.id)
            problem = _below_minimum(project.id, user, r.min_amount) or _import_row(r, user, listed.get(user.id),
                                                                                     added, changed)
            if problem:
                problems.append(_("第%(n)s行：%(reason)s", n=r.row, reason=problem))
    if problems:
        return render_template("subscription/import_result.html", project=project,
                               problems=sorted(problems, key=_row_number)), 400
    db.session.add_all([Subscription(project_id=project.id, user_id=users[r.username].id, tier=r.tier,
                                     min_amount=r.min_amount, max_amount=r.max_amount, deadline=r.deadline,
                                     token=services.new_token()) for r in added])
    for subscription, r in changed:
        subscription.tier, subscription.deadline = r.tier, r.deadline
        subscription.min_amount, subscription.max_amount = r.min_amount, r.max_amount
    db.session.commit()
    flash(_("已导入：新增 %(added)s 名，更新 %(changed)s 名，%(same)s 名未变", added=len(added), changed=len(changed),
            same=len(rows) - len(added) - len(changed)), "success")
    return redirect(url_for("subscription.partners", project_id=project.id))


def _import_row(r, user, listed, added: list, changed: list) -> str | None:
    """Sort a good row into ``added`` or ``changed`` (or neither when nothing changes); a reason if refused."""
    if listed is None:
        added.append(r)
        return None
    if (listed.tier, listed.min_amount, listed.max_amount, listed.deadline) == (r.tier, r.min_amount, r.max_amount,
                                                                                r.deadline):
        return None
    subscribed = listed.subscribed_amount
    if subscribed is not None and not r.min_amount <= subscribed <= r.max_amount:
        return _("%(name)s 已认购 %(amount)s 元，不在新的认购上下限内", name=user.name, amount=f"{subscribed:,}")
    changed.append((listed, r))
    return None


def _row_number(problem: str) -> int:
    digits = "".join(c for c in problem.split("：", 1)[0] if c.isdigit())
    return int(digits) if digits else 0


@bp.route("/projects/<int:project_id>/partners/notify", methods=["POST"])
def notify_partners(project_id):
    """认购通知 to all or to the selected partners, or a test message to oneself first."""
    project = staff_project(project_id)
    rows = services.subscriptions(project.id)
    selected = {read_id(i) for i in request.form.getlist("selected")} - {None}
    targets = [s for s in rows if not selected or s.id in selected]
    test = request.form.get("test") == "1"
    if not targets and not test:
        flash(_("合伙名单为空"), "warning")
        return redirect(url_for("subscription.partners", project_id=project.id))
    title = _("认购通知：%(project)s", project=project.name)
    channels = outbox.personal_channels(project.group_id)
    if test:
        sample = _invitation(project, targets[0]) if targets else title
        outbox.notify(project.group_id, [current_user.id], _("【测试】") + title, sample, link="/subscription/me",
                      channels_=channels, kind="subscription.notice.test", project_id=project.id,
                      actor=current_user.username, is_test=True)
        db.session.commit()
        flash(_("测试消息已发送给您自己"), "success")
        return redirect(url_for("subscription.partners", project_id=project.id))
    batch = outbox.notify_each(project.group_id, [(s.user_id, _invitation(project, s)) for s in targets], title,
                               link="/subscription/me", channels_=channels, kind="subscription.notice",
                               project_id=project.id, actor=current_user.username)
    db.session.commit()
    flash(_("已向 %(n)s 名合伙人发送认购通知", n=len(targets)), "success")
    return redirect(url_for("subscription.partners", project_id=project.id, batch=batch.id))


def _invitation(project, subscription) -> str:
    return _("您已被列入%(project)s的合伙名单，认购金额 %(low)s 至 %(high)s 元，截至日期 %(deadline)s。请在个人中心提交认购。",
             project=project.name, low=f"{subscription.min_amount:,}", high=f"{subscription.max_amount:,}",
             deadline=subscription.deadline.isoformat())
