"""The 强投名单's rules: which entries apply to a project, who they name, each one's minimum; reading an
entry from a form or a spreadsheet row; the waiver of one project's partner."""
from __future__ import annotations

from decimal import Decimal

from core.i18n import gettext as _

from core import roles
from core.declarations import RequiredPartner
from core.extensions import db
from core.models import Company, Project, User, UserRole
from core.money import round_cents
from plugins.mandatory.models import MIN_KINDS, MandatoryEntry, MandatoryWaiver
from plugins.subscription import services as stage
from plugins.subscription.forms import FormReader
from plugins.subscription.models import TIERS, plan_of
from plugins.subscription.payments import today

ZERO = Decimal("0.00")
FIELDS = ("company_id", "include_children", "username", "role", "tier", "min_kind", "minimum", "valid_from",
          "valid_to", "note")


def entries_for(project: Project) -> list[MandatoryEntry]:
    """The entries that apply to ``project``: of its company, or of a company above it that includes the
    companies below, valid on the project's 拿地时间 (today when it has none)."""
    parents = dict(db.session.execute(db.select(Company.id, Company.parent_id)).all())
    chain, company_id = [], project.company_id
    while company_id is not None and company_id not in chain:
        chain.append(company_id)
        company_id = parents.get(company_id)
    on = project.land_acquired_on or today()
    found = db.session.scalars(db.select(MandatoryEntry).where(
        MandatoryEntry.company_id.in_(chain), MandatoryEntry.valid_from <= on,
        db.or_(MandatoryEntry.valid_to.is_(None), MandatoryEntry.valid_to >= on)).order_by(MandatoryEntry.id)).all()
    return [e for e in found if e.company_id == project.company_id or e.include_children]


def _people(entries: list[MandatoryEntry]) -> dict[int, list[int]]:
    """Entry id -> the active partners it names: its user, or the users of its company holding its role."""
    partners = db.select(UserRole.user_id).where(UserRole.role == roles.PARTNER)
    active = db.select(User.id).where(User.active.is_(True), User.id.in_(partners))
    named = set(db.session.scalars(active.where(User.id.in_([e.user_id for e in entries if e.user_id]))))
    by_role = {e for e in entries if e.role}
    holders = db.session.execute(db.select(User.id, User.company_id, UserRole.role).join(
        UserRole, UserRole.user_id == User.id).where(
        User.id.in_(active), UserRole.role.in_({e.role for e in by_role}),
        User.company_id.in_({e.company_id for e in by_role}))).all() if by_role else []
    return {e.id: ([e.user_id] if e.user_id in named else []) if e.user_id else
            sorted(uid for uid, company_id, role in holders if company_id == e.company_id and role == e.role)
            for e in entries}


def minimum_of(entry: MandatoryEntry, pots: dict[str, Decimal]) -> Decimal:
    if entry.min_kind == "percent":
        return round_cents(pots.get(entry.tier, ZERO) * (entry.min_percent or ZERO) / 100)
    return entry.min_amount or ZERO


def required_partners(project_id: int) -> list[RequiredPartner]:
    """Everyone the 强投名单 names for the project, once, with their highest minimum; waived ones left out."""
    project = db.session.scalar(db.select(Project).where(Project.id == project_id))
    if project is None:
        return []
    entries = entries_for(project)
    if not entries:
        return []
    plan = plan_of(project_id)
    pots = stage.pots(plan.capital_peak if plan else None, stage.ratios(project_id))
    waived = set(db.session.scalars(db.select(MandatoryWaiver.user_id).where(MandatoryWaiver.project_id == project_id)))
    best: dict[int, tuple[Decimal, str]] = {}
    people = _people(entries)
    for entry in entries:
        amount = minimum_of(entry, pots)
        for user_id in people[entry.id]:
            if user_id not in waived and (user_id not in best or amount > best[user_id][0]):
                best[user_id] = (amount, entry.tier)
    label = _("强投")
    return [RequiredPartner(user_id, tier, amount, label) for user_id, (amount, tier) in sorted(best.items())]


def waive(project_id: int, user_id: int, reason: str) -> None:
    """Record (audited) that a required partner is left off the project's list; nothing when not ours."""
    if any(p.user_id == user_id for p in required_partners(project_id)):
        db.session.add(MandatoryWaiver(project_id=project_id, user_id=user_id, reason=reason))


def read_entry(data, companies: dict[int, Company]) -> tuple[dict, dict[str, str]]:
    """An entry's values from form-like ``data`` (the keys of FIELDS, as text), and every problem by field."""
    reader = FormReader(data)
    values: dict = {"note": reader.text("note", _("备注"), MandatoryEntry.note)}
    company_text = (data.get("company_id") or "").strip()
    company = companies.get(int(company_text)) if company_text.isascii() and company_text.isdigit() and len(
        company_text) < 10 else None
    if company is None:
        reader.errors["company_id"] = _("请选择公司")
    values["company_id"] = company.id if company else None
    values["include_children"] = (data.get("include_children") or "") in ("1", "on", "y")
    username, role = (data.get("username") or "").strip(), (data.get("role") or "").strip()
    values["user_id"], values["role"] = None, ""
    if bool(username) == bool(role):
        reader.errors["username"] = _("请填写账号或选择岗位角色（二选一）")
    elif username:
        user = db.session.scalar(db.select(User).where(User.username == username, User.id.in_(
            db.select(UserRole.user_id).where(UserRole.role == roles.PARTNER))))
        if user is None:
            reader.errors["username"] = _("没有账号为 %(u)s 的合伙人", u=username[:60])
        else:
            values["user_id"] = user.id
    elif role not in roles.LABELS or role == roles.PARTNER:
        reader.errors["role"] = _("请选择岗位角色")
    else:
        values["role"] = role
    values["tier"] = data.get("tier") or ""
    if values["tier"] not in TIERS:
        reader.errors["tier"] = _("请选择层级")
    values["min_kind"] = data.get("min_kind") or ""
    values["min_amount"] = values["min_percent"] = None
    if values["min_kind"] == "amount":
        values["min_amount"] = reader.money("minimum", _("最低认购额"), required=True)
    elif values["min_kind"] == "percent":
        values["min_percent"] = reader.percent("minimum", _("最低认购额"), required=True)
    else:
        reader.errors["min_kind"] = _("请选择最低认购方式")
    values["valid_from"] = reader.date("valid_from", _("起始日期"), required=True)
    values["valid_to"] = reader.date("valid_to", _("结束日期"))
    if values["valid_from"] and values["valid_to"] and values["valid_to"] < values["valid_from"]:
        reader.errors["valid_to"] = _("结束日期不能早于起始日期")
    return values, reader.errors


def same_key(entry: MandatoryEntry, values: dict) -> bool:
    """An imported row updates the entry of the same company, person or role, tier and start date."""
    return (entry.company_id, entry.user_id, entry.role, entry.tier, entry.valid_from) == (
        values["company_id"], values["user_id"], values["role"], values["tier"], values["valid_from"])


def minimum_text(entry: MandatoryEntry) -> str:
    if entry.min_kind == "percent":
        return f"{entry.min_percent:.3f}"
    return f"{entry.min_amount:.2f}"


def kind_label(code: str) -> str:
    return str(MIN_KINDS.get(code, code))


def companies() -> dict[int, Company]:
    return {c.id: c for c in db.session.scalars(db.select(Company).order_by(Company.id))}
