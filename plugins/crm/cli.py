"""``flask --app wsgi gentou crm sync --company CODE``: the safety net for sync jobs that were lost."""
import click
from flask.cli import AppGroup

from core.audit import acting_as
from core.cli import with_company
from core.extensions import db
from core.tenancy import tenant
from plugins.crm import services


@click.group("crm", cls=AppGroup)
def crm_cli():
    """CRM: payments kept in step with the CRM."""


@crm_cli.command("sync")
@with_company
@click.option("--failed", is_flag=True, help="also try the failed records again")
def sync(group, failed):
    """Queue a sync job for every record not synced yet (pending, or held by a worker that died)."""
    with tenant(group.id), acting_as(None, "cli"):
        count = services.requeue(failed)
        db.session.commit()
    click.echo(f"queued {count} records")
