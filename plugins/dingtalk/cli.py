"""``flask --app wsgi gentou dingtalk bind-users --company CODE``."""
import click
from flask.cli import AppGroup

from core.audit import acting_as
from core.cli import group_by_code
from core.extensions import db
from core.modules import is_enabled
from core.tenancy import tenant
from plugins.dingtalk import services
from plugins.dingtalk.client import DingTalkError


@click.group("dingtalk", cls=AppGroup)
def dingtalk_cli():
    """DingTalk: bind users to their DingTalk accounts."""


@dingtalk_cli.command("bind-users")
@click.option("--company", required=True, help="code of the group company")
def bind_users(company):
    """Look every unbound active user up by mobile (getbymobile) and bind those found."""
    group = group_by_code(company)
    if not is_enabled(group.id, services.PLUGIN):
        raise click.ClickException(f"the dingtalk module is not enabled for {company}")
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
