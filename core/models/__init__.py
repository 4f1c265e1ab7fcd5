"""The host's tables."""
from core.models.audit import AuditLog
from core.models.module import ModuleState
from core.models.org import Batch, Company, GroupCompany, Project
from core.models.user import ProjectAuthorisation, User, UserRole

__all__ = ["AuditLog", "Batch", "Company", "GroupCompany", "ModuleState", "Project",
           "ProjectAuthorisation", "User", "UserRole"]
