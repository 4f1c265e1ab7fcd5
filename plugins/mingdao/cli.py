"""``flask --app wsgi gentou mingdao resync --company CODE``: 全量同步 from the command line."""
import click
from flask.cli import AppGroup

from core.audit import acting_as
from core.cli import with_company
from core.extensions import db
from core.modules import is_enabled
from core.tenancy import tenant
from plugins.mingdao import services


@click.group("mingdao", cls=AppGroup)
def mingdao_cli():
    """明道云: keep projects and payments as rows of the mapped worksheets."""


@mingdao_cli.command("resync")
@with_company
def resync(group):
    """Queue every project and payment of the company to be pushed again (the jobs send them)."""
    if not is_enabled(group.id, services.PLUGIN):
        raise click.ClickException(f"module {services.PLUGIN} is not enabled for {group.code}")
    with tenant(group.id), acting_as(None, "cli"):
        count = services.resync(group.id)
        db.session.commit()
    click.echo(f"queued {count} records")
