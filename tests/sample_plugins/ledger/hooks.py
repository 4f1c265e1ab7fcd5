from flask_babel import lazy_gettext as _l

from core.declarations import Job, MenuItem
from core.hookspecs import hookimpl

RECEIVED = []  # (group_id, entry_id) of every EntryAdded this plugin saw, and of every job run


def count_entry(entry_id):
    RECEIVED.append(("job", entry_id))


@hookimpl
def register_models():
    from tests.sample_plugins.ledger.models import LedgerEntry
    return [LedgerEntry]


@hookimpl
def register_blueprints(app):
    from tests.sample_plugins.ledger.views import bp
    return [bp]


@hookimpl
def register_menu():
    return [MenuItem(label=_l("台账"), endpoint="ledger.index", weight=50)]


@hookimpl
def register_jobs():
    return [Job(name="count_entry", func=count_entry)]


@hookimpl
def notification_channels():
    from tests.sample_plugins.ledger.channels import EchoChannel, ThrottledChannel
    return [EchoChannel(), ThrottledChannel()]


@hookimpl
def on_event(event):
    from core.jobs import enqueue
    from tests.sample_plugins.ledger.events import EntryAdded
    if isinstance(event, EntryAdded):
        RECEIVED.append((event.group_id, event.entry_id))
        enqueue("ledger.count_entry", event.group_id, entry_id=event.entry_id)
