from decimal import Decimal

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from core import outbox, roles
from core.events import emit
from core.extensions import db
from core.models import UserRole
from core.auth import public, url_group
from core.permissions import project_or_404
from tests.sample_plugins.ledger.events import EntryAdded
from tests.sample_plugins.ledger.models import LedgerEntry

bp = Blueprint("ledger", __name__, template_folder="templates")


@bp.route("/")
def index():
    entries = db.session.scalars(db.select(LedgerEntry).order_by(LedgerEntry.id)).all()
    return render_template("ledger/index.html", entries=entries)


@bp.route("/entries/<int:entry_id>")
def entry(entry_id):
    row = db.session.scalar(db.select(LedgerEntry).where(LedgerEntry.id == entry_id))
    if row is None:
        return "not found", 404
    return f"{row.note} {row.amount}"


@bp.route("/projects/<int:project_id>/entries", methods=["POST"])
def add(project_id):
    project = project_or_404(current_user, project_id)
    row = LedgerEntry(project_id=project.id, amount=Decimal(request.form["amount"]), note=request.form.get("note", ""))
    db.session.add(row)
    db.session.flush()
    emit(EntryAdded(group_id=current_user.group_id, entry_id=row.id))
    if request.form.get("notify"):
        partners = db.session.scalars(db.select(UserRole.user_id).where(UserRole.role == roles.PARTNER)).all()
        outbox.notify(current_user.group_id, partners, f"台账新增：{row.note}", f"金额 {row.amount}",
                      link=f"/ledger/entries/{row.id}", channels_=request.form.getlist("channel") or ["inbox"],
                      kind="ledger.entry", project_id=project.id, actor=current_user.username)
    if request.form.get("fail"):
        abort(400)  # the business change fails after the notices were written: all is rolled back
    db.session.commit()
    return str(row.id), 201


@bp.route("/entries/<int:entry_id>/amount", methods=["POST"])
def edit_amount(entry_id):
    from core.review import RecordLocked
    row = db.session.scalar(db.select(LedgerEntry).where(LedgerEntry.id == entry_id))
    if row is None:
        abort(404)
    project_or_404(current_user, row.project_id)
    row.amount = Decimal(request.form["amount"])
    try:
        db.session.commit()
    except RecordLocked as exc:
        db.session.rollback()
        return str(exc), 409
    return "ok"


@bp.route("/entries/<int:entry_id>/submit", methods=["POST"])
def submit(entry_id):
    from core import review
    row = db.session.scalar(db.select(LedgerEntry).where(LedgerEntry.id == entry_id))
    if row is None:
        abort(404)
    project_or_404(current_user, row.project_id)
    try:
        item = review.submit(row, current_user, f"台账 {row.note}", row.project_id)
        db.session.commit()
    except review.ReviewError as exc:
        db.session.rollback()
        return str(exc), 409
    return str(item.id)


@bp.route("/g/<group_code>/hello")
@public
def hello(group_code):
    """A public page of one group company: the host has resolved and gated ``<group_code>`` before it runs."""
    return f"hello {url_group().name}"
