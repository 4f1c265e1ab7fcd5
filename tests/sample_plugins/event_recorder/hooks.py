from core.hookspecs import hookimpl

EVENTS = []


@hookimpl
def on_event(event):
    EVENTS.append(event)

CHANGES = []  # (hook, group_id, current group) of every module_enabled / module_disabled call
REFUSE = []  # a message here makes the next module_enabled refuse with it


@hookimpl
def module_enabled(group_id):
    from core.audit import record_action
    from core.extensions import db
    from core.modules import ModuleError
    from core.tenancy import current_group_id
    CHANGES.append(("enabled", group_id, current_group_id()))
    record_action(db.session, group_id, "seed", "event_recorder", "1", "seeded by module_enabled")
    if REFUSE:
        raise ModuleError(REFUSE.pop())


@hookimpl
def module_disabled(group_id):
    from core.tenancy import current_group_id
    CHANGES.append(("disabled", group_id, current_group_id()))
