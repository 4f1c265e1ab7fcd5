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


def _on_exit_decided(instance):
    RECEIVED.append(("process", instance.kind, instance.state))


@hookimpl
def register_processes():
    from core.processes.kinds import Field, ProcessKind
    return [
        ProcessKind(code="ledger_calc", label="离职退休测算", weight=10),
        ProcessKind(code="ledger_exit", label="离职退休", weight=20, requires=("ledger_calc",),
                    fields=(Field("project_name", "项目名称", "readonly", prefill=lambda p: p.name),
                            Field("amount", "本次分配金额", "money", required=True),
                            Field("ratio", "本次分配比例", "percent"),
                            Field("planned_on", "预计分配时间", "date")),
                    on_approve=_on_exit_decided, on_reject=_on_exit_decided),
        ProcessKind(code="ledger_disclosure", label="披露", weight=30, repeatable=True),
    ]


@hookimpl
def register_settings():
    from core.settings import Setting
    return [Setting("api_base", "API 地址", kind="url", default="https://ledger.example"),
            Setting("app_key", "AppKey"), Setting("app_secret", "AppSecret", kind="secret"),
            Setting("retries", "重试次数", kind="int", default="3")]


@hookimpl
def notification_channels():
    from tests.sample_plugins.ledger.channels import EchoChannel, RobotChannel, ThrottledChannel
    return [EchoChannel(), ThrottledChannel(), RobotChannel()]


@hookimpl
def on_event(event):
    from core.jobs import enqueue
    from tests.sample_plugins.ledger.events import EntryAdded
    if isinstance(event, EntryAdded):
        RECEIVED.append((event.group_id, event.entry_id))
        enqueue("ledger.count_entry", event.group_id, entry_id=event.entry_id)


@hookimpl
def register_cli(group):
    import click

    from core.cli import with_company

    @group.command("ledger-hello")
    @click.option("--loud", is_flag=True)
    @with_company
    def hello(group, loud):
        click.echo(f"hello {group.name}" + ("!" if loud else ""))


OA_OFFERED = []  # provider names a test makes ledger (and ledger_report) offer as approval providers


class SampleOA:
    """An external approval provider that remembers what it started (tests)."""

    label = "示例OA"

    def __init__(self, name):
        self.name = name

    def start(self, instance, kind):
        RECEIVED.append(("oa", self.name, kind.code))
        return f"{self.name}-{instance.id}"

    def url(self, instance):
        return f"https://oa.example/{self.name}/{instance.external_id}"


@hookimpl
def approval_providers(group_id):
    return [SampleOA("ledger_oa")] if "ledger_oa" in OA_OFFERED else []
