"""Build group companies with their tree, projects and users for tests."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from werkzeug.security import generate_password_hash

from core import roles
from core.extensions import db
from core.models import Batch, Company, GroupCompany, Project, ProjectAuthorisation, User
from core.tenancy import tenant

PASSWORD = "correct-horse-9"
_HASH = generate_password_hash(PASSWORD)


def make_user(username, role_codes, name=None, **fields) -> User:
    user = User(username=username, name=name or username, password_hash=_HASH, **fields)
    db.session.add(user)
    db.session.flush()
    user.set_roles(role_codes)
    return user


def make_tenant(code: str, modules=()) -> SimpleNamespace:
    """A group company with a city company, one project, and one user per kind; commits."""
    group = GroupCompany(code=code, name=f"{code}集团", short_name=code)
    db.session.add(group)
    db.session.flush()
    with tenant(group.id):
        realestate = Company(name="置业集团", kind="realestate")
        city = Company(name=f"{code}城市公司", kind="city", parent=realestate, region="华东")
        batch = Batch(name="2019年10月")
        db.session.add_all([realestate, city, batch])
        db.session.flush()
        project = Project(code=f"{code}-P1", name=f"{code}项目", company_id=city.id, batch_id=batch.id,
                          is_open=True, land_acquired_on=dt.date(2019, 10, 21))
        db.session.add(project)
        db.session.flush()
        t = SimpleNamespace(group=group, city=city, realestate=realestate, batch=batch, project=project)
        t.admin = make_user(f"{code.lower()}_admin", [roles.ADMIN])
        t.business_admin = make_user(f"{code.lower()}_hh", [roles.BUSINESS_ADMIN])
        t.accountant = make_user(f"{code.lower()}_kj", [roles.CITY_ACCOUNTANT])
        t.outsider = make_user(f"{code.lower()}_kj2", [roles.CITY_ACCOUNTANT])
        t.partner = make_user(f"{code.lower()}_p", [roles.PARTNER])
        db.session.add(ProjectAuthorisation(user_id=t.accountant.id, project_id=project.id,
                                            role=roles.CITY_ACCOUNTANT))
        if modules:
            from core.modules import enable
            for name in modules:
                enable(group.id, name, actor="test")
        db.session.commit()
    return t
