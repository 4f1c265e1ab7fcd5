"""The host's own internal plugin ``core``: the inbox channel and the outbox's delivery job, declared through
the same hooks as every plugin. It is always on and is not a module (not listed, never enabled or disabled)."""
from core.declarations import Job
from core.hookspecs import hookimpl

NAME = "core"


@hookimpl
def notification_channels():
    from core.channels import InboxChannel
    return [InboxChannel()]


@hookimpl
def register_jobs():
    from core import outbox
    return [Job(name=outbox.DELIVER_JOB.split(".", 1)[1], func=outbox.deliver, description="deliver outbox notices")]
