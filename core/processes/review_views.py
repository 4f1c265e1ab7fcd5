"""方案审核: the business admin's queue of records waiting for review, and its decisions."""
from flask import Blueprint, abort, flash, render_template, request, url_for
from core.i18n import gettext as _
from flask_login import current_user, login_required

from core import review as reviews
from core import roles
from core.extensions import db
from core.models import Project
from core.permissions import projects_query
from core.processes.models import PASSED, SUBMITTED, Review
from core.redirects import redirect_back

bp = Blueprint("reviews", __name__, url_prefix="/reviews")


@bp.before_request
@login_required
def _staff_only():
    if not current_user.has_role(*roles.PROJECT_ROLES):
        abort(403)


def _review_or_404(review_id: int) -> Review:
    review = db.session.scalar(db.select(Review).where(Review.id == review_id))
    if review is None:
        abort(404)
    if review.project_id is not None:
        visible = projects_query(current_user).where(Project.id == review.project_id).with_only_columns(Project.id)
        if db.session.scalar(visible) is None:
            abort(404)
    return review


@bp.route("/")
def queue():
    state = request.args.get("state", SUBMITTED)
    visible = projects_query(current_user).with_only_columns(Project.id)
    rows = db.session.execute(
        db.select(Review, Project.name).outerjoin(Project, Project.id == Review.project_id)
        .where(Review.state == state, db.or_(Review.project_id.is_(None), Review.project_id.in_(visible)))
        .order_by(Review.submitted_at.desc())).all()
    return render_template("processes/reviews.html", rows=rows, state=state, record_url=reviews.record_url)


@bp.route("/<int:review_id>/decide", methods=["POST"])
def decide(review_id):
    review = _review_or_404(review_id)
    try:
        reviews.decide(review, current_user, request.form.get("decision") == "pass",
                       (request.form.get("comment") or "").strip())
        db.session.commit()
        flash(_("已审核"), "success")
    except reviews.ReviewError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    return redirect_back(url_for("reviews.queue"))


@bp.route("/<int:review_id>/unlock", methods=["POST"])
def unlock(review_id):
    review = _review_or_404(review_id)
    try:
        reviews.set_unlocked(review, current_user, request.form.get("unlocked") == "1")
        db.session.commit()
        flash(_("已解锁编辑") if review.unlocked else _("已锁定"), "success")
    except reviews.ReviewError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    return redirect_back(url_for("reviews.queue", state=PASSED))
