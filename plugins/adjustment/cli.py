"""``gentou adjustment versions --company CODE PROJECT``: the versions of a project's peak and investments."""
import click
from flask.cli import AppGroup

from core.cli import with_company
from core.extensions import db
from core.tenancy import tenant


@click.group("adjustment", cls=AppGroup)
def adjustment_cli():
    """立项调整: versions of the capital peak and of the partners' investments."""


@adjustment_cli.command("versions")
@click.argument("project_code")
@with_company
def versions(group, project_code):
    """Each approved version of the project (事业合伙立项, then every round): its peak, the process that
    approved it, and the partners whose investment it changed (old -> new)."""
    from core.models import Project
    from plugins.adjustment import services
    with tenant(group.id):
        project = db.session.scalar(db.select(Project).where(Project.code == project_code))
        if project is None:
            raise click.ClickException(f"no project {project_code} in {group.code}")
        for version in services.history(project.id):
            process = version["process"]
            peak = f"{version['peak']:.2f}" if version["peak"] is not None else "-"
            approved = f"process #{process.id} by {process.decided_by or '-'}" if process else "-"
            click.echo(f"{version['label']}\tpeak {peak}\t{approved}")
            if version["round"] is not None:
                for line in services.lines(version["round"].id):
                    if line.difference:
                        click.echo(f"  {line.user.username}\t{line.old_investment:.2f} -> {line.new_investment:.2f}")
