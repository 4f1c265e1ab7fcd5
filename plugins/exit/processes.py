"""The 离职退休流程: started from a saved 离职退休测算 (its number is the form's one field)."""
from core.i18n import lazy_gettext as _l

from core.processes.kinds import Field, ProcessKind
from plugins.exit import services

KINDS = [
    ProcessKind(code=services.PROCESS, label=_l("离职退休流程"), weight=80, repeatable=True,
                fields=(Field("calculation", _l("离职退休测算编号"), "text", required=True),),
                on_start=services.on_start, on_approve=services.on_approve, on_reject=services.on_reject),
]
