"""The system roles of the manual (基础约定/系统角色), plus 合伙人."""
from core.i18n import lazy_gettext as _l

ADMIN = "admin"
BUSINESS_ADMIN = "business_admin"
HOLDING_ACCOUNTANT = "holding_accountant"
REALESTATE_ACCOUNTANT = "realestate_accountant"
CITY_ACCOUNTANT = "city_accountant"
PARTNER = "partner"

LABELS = {
    ADMIN: _l("系统管理员"),
    BUSINESS_ADMIN: _l("业务管理员"),
    HOLDING_ACCOUNTANT: _l("控股集团经营会计"),
    REALESTATE_ACCOUNTANT: _l("置业集团经营会计"),
    CITY_ACCOUNTANT: _l("城市公司经营会计"),
    PARTNER: _l("合伙人"),
}
ALL = tuple(LABELS)
ACCOUNTANTS = (HOLDING_ACCOUNTANT, REALESTATE_ACCOUNTANT, CITY_ACCOUNTANT)
# Roles whose access to a project comes from 项目授权 (the admin ticks users per project and role).
PROJECT_ROLES = (BUSINESS_ADMIN,) + ACCOUNTANTS
# Roles that see every project of their group company without an authorisation.
GROUP_WIDE = (ADMIN, BUSINESS_ADMIN)


def labels_of(held) -> list[str]:
    """The labels of the roles ``held``, in the order of ``ALL``."""
    return [str(LABELS[r]) for r in ALL if r in held]
