"""The host's tables."""
from core.models.audit import AuditLog
from core.models.module import ModuleSetting, ModuleState
from core.models.notice import InboxMessage, Notice, NoticeBatch
from core.models.org import Batch, Company, GroupCompany, Project
from core.models.user import ProjectAuthorisation, User, UserRole

__all__ = ["AuditLog", "Batch", "Company", "GroupCompany", "InboxMessage", "ModuleSetting", "ModuleState", "Notice", "NoticeBatch", "Project",
           "ProjectAuthorisation", "User", "UserRole"]
