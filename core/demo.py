"""Demo data: the group of the manual, its seven projects, one user per role, some partners."""
from __future__ import annotations

import datetime as dt

from flask import current_app
from werkzeug.security import generate_password_hash

from core import roles
from core.extensions import db
from core.models import Batch, Company, GroupCompany, Project, ProjectAuthorisation, User
from core.tenancy import tenant

PASSWORD = "gentou-demo-2026"
GROUP = ("JINYI", "锦艺集团", "锦艺")
# (name, kind, parent, region)
COMPANIES = [
    ("控股集团", "holding", None, ""),
    ("置业集团", "realestate", "控股集团", ""),
    ("环沪城市公司", "city", "置业集团", "华东"),
    ("澄靖直属项目公司", "direct", "环沪城市公司", "江苏"),
    ("泰安直属项目公司", "direct", "环沪城市公司", "山东"),
    ("马鞍山直属项目公司", "direct", "环沪城市公司", "安徽"),
    ("常州直属项目公司", "direct", "环沪城市公司", "江苏"),
    ("株洲直属项目公司", "direct", "置业集团", "湖南"),
    ("昆明城市公司", "city", "置业集团", "云南"),
]
# The manual's 项目维护 list: (code, name, company, 拿地时间, 批次, 合作操盘, 操盘方)
PROJECTS = [
    ("KM-CSZG", "昆明-城市之光", "昆明城市公司", "2019-02-21", "2019年2月", True, "lead"),
    ("JJ-01", "靖江项目", "澄靖直属项目公司", "2019-10-21", "2019年10月", False, "side"),
    ("TA-JYYF", "泰安-锦艺誉峯", "泰安直属项目公司", "2019-03-21", "2019年3月", False, "lead"),
    ("MAS-LYCF", "马鞍山-林语春风", "马鞍山直属项目公司", "2019-03-15", "2019年3月", False, "side"),
    ("ZZ-JXY", "株洲-锦湘悦", "株洲直属项目公司", "2019-05-05", "2018年11月", True, "self"),
    ("JY-01", "江阴项目", "澄靖直属项目公司", "2019-10-30", "2019年10月", True, "side"),
    ("CZ-01", "常州项目", "常州直属项目公司", "2019-10-23", "2019年10月", False, "side"),
]
# (username, name, roles, company, authorised projects: "*" all, or a company whose projects)
USERS = [
    ("admin", "系统管理员", [roles.ADMIN], None, None),
    ("hhadmin", "业务管理员", [roles.BUSINESS_ADMIN], None, None),
    ("kgkj", "控股集团经营会计", [roles.HOLDING_ACCOUNTANT], "控股集团", "*"),
    ("zykj", "置业集团经营会计", [roles.REALESTATE_ACCOUNTANT], "置业集团", "*"),
    ("hhkj", "环沪城市公司经营会计", [roles.CITY_ACCOUNTANT], "环沪城市公司", "环沪城市公司"),
    ("kmkj", "昆明城市公司经营会计", [roles.CITY_ACCOUNTANT], "昆明城市公司", "昆明城市公司"),
    ("shiwei", "史伟", [roles.PARTNER], "环沪城市公司", None),
    ("jintao", "金涛", [roles.PARTNER], "环沪城市公司", None),
    ("wanglei", "王磊", [roles.PARTNER], "置业集团", None),
    ("liuqiao", "刘乔", [roles.PARTNER], "泰安直属项目公司", None),
    ("zhoufeng", "周峰", [roles.PARTNER], "昆明城市公司", None),
]


def _get_or_add(model, defaults: dict | None = None, **keys):
    row = db.session.scalar(db.select(model).filter_by(**keys))
    if row is None:
        row = model(**keys, **(defaults or {}))
        db.session.add(row)
        db.session.flush()
    return row


def _under(company: Company, companies: dict[str, Company]) -> set[int]:
    ids = {company.id}
    grew = True
    while grew:
        more = {c.id for c in companies.values() if c.parent_id in ids} - ids
        ids |= more
        grew = bool(more)
    return ids


def ensure_demo():
    """Create whatever of the demo is missing; change nothing that exists. Returns (group, accounts)."""
    code, name, short = GROUP
    group = _get_or_add(GroupCompany, {"name": name, "short_name": short}, code=code)
    with tenant(group.id):
        companies: dict[str, Company] = {}
        for cname, kind, parent, region in COMPANIES:
            parent_id = companies[parent].id if parent else None
            companies[cname] = _get_or_add(Company, {"kind": kind, "parent_id": parent_id, "region": region},
                                           name=cname)
        projects = []
        for pcode, pname, cname, acquired, batch, joint, operator in PROJECTS:
            batch_row = _get_or_add(Batch, name=batch)
            projects.append(_get_or_add(Project, {
                "name": pname, "company_id": companies[cname].id, "batch_id": batch_row.id,
                "land_acquired_on": dt.date.fromisoformat(acquired), "is_open": True,
                "is_joint_operation": joint, "operator": operator, "acquisition_method": "招拍挂"}, code=pcode))
        password_hash = generate_password_hash(PASSWORD)
        accounts = []
        for username, uname, role_codes, cname, scope in USERS:
            user = db.session.scalar(db.select(User).filter_by(username=username))
            if user is None:
                user = User(username=username, name=uname, password_hash=password_hash,
                            company_id=companies[cname].id if cname else None,
                            mobile=f"1380000{len(accounts):04d}")
                db.session.add(user)
                db.session.flush()
                user.set_roles(role_codes)
                if scope:
                    allowed = None if scope == "*" else _under(companies[scope], companies)
                    for p in projects:
                        if allowed is None or p.company_id in allowed:
                            db.session.add(ProjectAuthorisation(user_id=user.id, project_id=p.id, role=role_codes[0]))
            accounts.append((username, str(roles.LABELS[role_codes[0]]), uname))
        from core.modules import enable, enabled_modules, hooks_for
        for m in current_app.extensions["gentou"].installed():
            if m.name not in enabled_modules(group.id):
                enable(group.id, m.name, actor="demo")
        db.session.commit()
        hooks_for(group.id).demo_data(group_id=group.id)
        db.session.commit()
    return group, accounts
