"""通知记录: the notice log, retries, batch progress, and a test message to oneself."""
from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from core.i18n import gettext as _
from flask_login import current_user

from core import outbox
from core.admin import bp
from core.extensions import db
from core.forms import read_id
from core.models import Notice, NoticeBatch, Project
from core.models.notice import FAILED, STATE_LABELS
from core.permissions import get_or_404
from core.redirects import redirect_back


@bp.route("/notices")
def notices():
    f = {k: request.args.get(k, "").strip() for k in ("state", "channel", "project", "batch")}
    query = db.select(Notice).order_by(Notice.id.desc())
    if f["state"] in STATE_LABELS:
        query = query.where(Notice.state == f["state"])
    if f["channel"]:
        query = query.where(Notice.channel == f["channel"])
    project_id, batch_id = read_id(f["project"]), read_id(f["batch"])
    if project_id is not None:
        query = query.where(Notice.project_id == project_id)
    batch = get_or_404(NoticeBatch, batch_id) if batch_id is not None else None
    if batch:
        query = query.where(Notice.batch_id == batch.id)
    page = db.paginate(query.options(db.joinedload(Notice.recipient)), per_page=50, error_out=False)
    batches = db.session.scalars(db.select(NoticeBatch).order_by(NoticeBatch.id.desc()).limit(10)).all()
    projects = db.session.execute(db.select(Project.id, Project.name).order_by(Project.name)).all()
    return render_template("admin/notices.html", page=page, f=f, batch=batch, batches=batches, projects=projects,
                           states=STATE_LABELS, channels=current_app.extensions["gentou"].channels,
                           progress=outbox.progress(batch.id) if batch else None)


@bp.route("/notices/batches/<int:notice_batch_id>/progress")
def notice_progress(notice_batch_id):
    batch = get_or_404(NoticeBatch, notice_batch_id)
    return jsonify(outbox.progress_report(batch.id))


@bp.route("/notices/<int:notice_id>/retry", methods=["POST"])
def retry_notice(notice_id):
    notice = get_or_404(Notice, notice_id)
    if notice.state != FAILED:
        flash(_("只能重试发送失败的通知"), "warning")
    else:
        outbox.retry(notice)
        db.session.commit()
        flash(_("已重新发送"), "success")
    return redirect_back(url_for("admin.notices"))


@bp.route("/notices/test", methods=["POST"])
def test_notice():
    """Send a test message to oneself through the chosen channel before a real batch."""
    channel = request.form.get("channel", "inbox")
    if channel not in current_app.extensions["gentou"].channels:
        flash(_("未知通知渠道：%(name)s", name=channel), "danger")
        return redirect(url_for("admin.notices"))
    batch = outbox.notify(current_user.group_id, [current_user.id], _("测试消息"), _("这是一条测试消息。"),
                          channels_=(channel,), kind="test", actor=current_user.username, is_test=True)
    db.session.commit()
    flash(_("测试消息已发送给您自己"), "success")
    return redirect(url_for("admin.notices", batch=batch.id))
