"""``flask --app wsgi gentou ekuaibao resync --company CODE``: 全量同步 from the command line."""
import click
from flask.cli import AppGroup

from core.audit import acting_as
from core.cli import with_company
from core.extensions import db
from core.modules import is_enabled
from core.tenancy import tenant
from plugins.ekuaibao import services


@click.group("ekuaibao", cls=AppGroup)
def ekuaibao_cli():
    """合思/易快报: push projects and partners as business-object instances."""


@ekuaibao_cli.command("resync")
@with_company
def resync(group):
    """Queue every project and partner of the company to be pushed again (the jobs send them)."""
    if not is_enabled(group.id, services.PLUGIN):
        raise click.ClickException(f"module {services.PLUGIN} is not enabled for {group.code}")
    with tenant(group.id), acting_as(None, "cli"):
        count = services.resync(group.id)
        db.session.commit()
    click.echo(f"queued {count} records")
