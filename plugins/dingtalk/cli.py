"""``flask --app wsgi gentou dingtalk bind-users --company CODE``."""
import click
from flask.cli import AppGroup

from core.audit import acting_as
from core.cli import with_company
from core.extensions import db
from core.tenancy import tenant
from plugins.dingtalk import services
from plugins.dingtalk.client import DingTalkError


@click.group("dingtalk", cls=AppGroup)
def dingtalk_cli():
    """DingTalk: bind users to their DingTalk accounts."""


@dingtalk_cli.command("bind-users")
@with_company
def bind_users(group):
    """Look every unbound active user up by mobile (getbymobile) and bind those found."""
    with tenant(group.id), acting_as(None, "cli"):
        try:
            bound, missing = services.bind_by_mobile(group.id, "cli")
        except (services.NotConfigured, DingTalkError) as exc:
            raise click.ClickException(exc.reason) from None
        db.session.commit()
        click.echo(f"bound {len(bound)} users")
        for user, userid in bound:
            click.echo(f"  {user.username} ({user.name}) -> {userid}")
        if missing:
            click.echo(f"not bound: {len(missing)}")
            for user, reason in missing:
                click.echo(f"  {user.username} ({user.name}): {reason}")
