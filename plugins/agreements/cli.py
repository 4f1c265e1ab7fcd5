"""``gentou verify FILE`` and ``gentou agreements seal --company CODE``."""
import click
from flask.cli import AppGroup, with_appcontext

from core.audit import acting_as
from core.i18n import gettext as _
from core.cli import in_language
from core.extensions import db
from core.tenancy import tenant


@click.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
@in_language
def verify_command(file):
    """Check the digital seal of an agreement PDF; exit 1 when it is not intact and valid (the verdict's reason
    in the language of ``--lang``)."""
    from plugins.agreements.services import verify
    with open(file, "rb") as handle:
        check, agreement = verify(handle.read())
    # The verdict's word stays English in every language, for scripts: OK, TAMPERED or INVALID.
    click.echo(("OK: " if check.ok else ("TAMPERED: " if check.tampered else "INVALID: ")) + check.reason)
    if check.signer:
        click.echo(_("盖章人：%(signer)s", signer=check.signer))
    if check.signed_at:
        click.echo(_("盖章时间：%(when)s", when=check.signed_at.isoformat()))
    if agreement is not None and check.ok:
        from core.models import GroupCompany, Project
        with tenant(None):
            project = db.session.get(Project, agreement.project_id)
            group = db.session.get(GroupCompany, agreement.group_id)
        click.echo(_("协议：%(number)s 第 %(version)s 版（%(state)s）", number=agreement.number,
                     version=agreement.version, state=agreement.state_label))
        click.echo(_("集团：%(group)s；项目：%(project)s；合伙人：%(partner)s", group=group.name, project=project.name,
                     partner=agreement.user.name))
    if not check.ok:
        raise SystemExit(1)


@click.group("agreements", cls=AppGroup)
def agreements_cli():
    """Agreements: the group's digital seal."""


@agreements_cli.command("seal")
@click.option("--company", required=True, help="code of the group company")
def generate_seal(company):
    """Generate a new self-signed seal certificate for the group company (the old one stays valid)."""
    from core.cli import group_by_code
    from plugins.agreements.services import generate_seal as make
    group = group_by_code(company)
    with tenant(group.id), acting_as(None, "cli"):
        seal = make(group)
        db.session.commit()
    click.echo(f"seal installed for {company}: {seal.subject}")
