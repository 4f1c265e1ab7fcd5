"""``flask --app wsgi gentou ...``: modules, demo data, users. Plugins add commands (register_cli)."""
from __future__ import annotations

import functools

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale

from core import roles
from core.audit import acting_as
from core.extensions import db
from core.models import GroupCompany, User
from core.tenancy import tenant
from core.worker import worker_command

gentou_cli = AppGroup("gentou", help="Gentou administration.")
LANGUAGES = ("zh", "en")


def group_by_code(code: str) -> GroupCompany:
    group = db.session.scalar(db.select(GroupCompany).where(GroupCompany.code == code))
    if group is None:
        raise click.ClickException(f"unknown group company '{code}' (known: "
                                   + ", ".join(db.session.scalars(db.select(GroupCompany.code))) + ")")
    return group


def with_company(command):
    """Give a plugin's command ``--company CODE``: the host resolves the group company, refuses it unless it
    enabled the command's plugin, and calls ``command(group=<GroupCompany>, ...)``."""
    @click.option("--company", required=True, help="code of the group company")
    @functools.wraps(command)
    def wrapper(company, **kwargs):
        from core.modules import is_enabled
        group = group_by_code(company)
        plugin = next((m.name for m in current_app.extensions["gentou"].installed()
                       if command.__module__ == m.package or command.__module__.startswith(m.package + ".")), None)
        if plugin is not None and not is_enabled(group.id, plugin):
            raise click.ClickException(f"the {plugin} module is not enabled for {company}")
        return command(group=group, **kwargs)
    return wrapper


def in_language(command):
    """Give a command ``--lang zh|en`` (the app's BABEL_DEFAULT_LOCALE when omitted): what it prints through the
    i18n helpers, refusals included, comes from that language's catalogue, the one the web uses and
    ``core.i18n.translations_for`` gives."""
    @click.option("--lang", type=click.Choice(LANGUAGES), default=None,
                  help="language of the output (default: the app's BABEL_DEFAULT_LOCALE)")
    @functools.wraps(command)
    def wrapper(lang, **kwargs):
        # A fresh app context: core.i18n keeps the catalogue it first used in the context's g.
        with current_app.app_context(), force_locale(lang or current_app.config["BABEL_DEFAULT_LOCALE"]):
            return command(**kwargs)
    return wrapper


@gentou_cli.group("modules")
def modules_cli():
    """List, enable and disable modules of a group company."""


@modules_cli.command("list")
@click.option("--company", required=True, help="code of the group company")
@in_language
def modules_list(company):
    from core.modules import enabled_modules
    group = group_by_code(company)
    registry = current_app.extensions["gentou"]
    enabled = enabled_modules(group.id)
    click.echo(f"{'module':<20} {'version':<10} {'state':<9} {'depends':<30} summary")
    for m in registry.installed():
        state = "enabled" if m.name in enabled else "disabled"
        click.echo(f"{m.name:<20} {m.version:<10} {state:<9} {','.join(m.depends) or '-':<30} {m.summary_text}")


@modules_cli.command("enable")
@click.argument("name")
@click.option("--company", required=True, help="code of the group company")
@in_language
def modules_enable(name, company):
    from core.modules import ModuleError, enable
    group = group_by_code(company)
    with acting_as(None, "cli"):
        try:
            added = enable(group.id, name, actor="cli")
        except ModuleError as exc:
            raise click.ClickException(str(exc)) from None
        db.session.commit()
    if not added:
        click.echo(f"{name} was already enabled for {company}")
    for n in added:
        click.echo(f"enabled {n} for {company}" + ("" if n == name else f" (with {name})"))


@modules_cli.command("disable")
@click.argument("name")
@click.option("--company", required=True, help="code of the group company")
@in_language
def modules_disable(name, company):
    from core.modules import ModuleError, disable
    group = group_by_code(company)
    with acting_as(None, "cli"):
        try:
            disable(group.id, name)
        except ModuleError as exc:
            raise click.ClickException(str(exc)) from None
        db.session.commit()
    click.echo(f"disabled {name} for {company}")


@gentou_cli.command("create-group")
@click.argument("code")
@click.argument("name")
@click.option("--short-name", default="", help="short name used in labels, e.g. 锦艺")
def create_group(code, name, short_name):
    """Create a group company (a tenant)."""
    if db.session.scalar(db.select(GroupCompany).where(GroupCompany.code == code)):
        raise click.ClickException(f"group company '{code}' already exists")
    with acting_as(None, "cli"):
        db.session.add(GroupCompany(code=code, name=name, short_name=short_name))
        db.session.commit()
    click.echo(f"created group company {code} {name}")


@gentou_cli.command("create-user")
@click.option("--company", required=True, help="code of the group company")
@click.option("--username", required=True)
@click.option("--name", required=True, help="display name, e.g. 张三")
@click.option("--role", "role_codes", multiple=True, type=click.Choice(roles.ALL), required=True)
@click.option("--mobile", default="")
@click.password_option()
def create_user(company, username, name, role_codes, mobile, password):
    """Create a user of a group company."""
    group = group_by_code(company)
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise click.ClickException(f"password too short: at least {minimum} characters")
    if db.session.scalar(db.select(User.id).where(User.username == username)):
        raise click.ClickException(f"username '{username}' is taken")
    with tenant(group.id), acting_as(None, "cli"):
        user = User(username=username, name=name, mobile=mobile, group_id=group.id)
        user.set_password(password)
        db.session.add(user)
        db.session.flush()
        user.set_roles(role_codes)
        db.session.commit()
    click.echo(f"created user {username} ({', '.join(role_codes)}) in {company}")


@gentou_cli.command("demo")
@in_language
def demo():
    """Create (or complete) the demo group with the manual's projects and one user per role."""
    from core.demo import PASSWORD, ensure_demo
    with acting_as(None, "demo"):
        group, accounts = ensure_demo()
    click.echo(f"demo group company: {group.code} {group.name}")
    click.echo(f"{'account':<12} {'role':<24} name")
    for username, role, name in accounts:
        click.echo(f"{username:<12} {role:<24} {name}")
    click.echo(f"password for every demo account: {PASSWORD}")


@gentou_cli.group("outbox")
def outbox_cli():
    """The notice outbox."""


@outbox_cli.command("sweep")
@click.option("--grace", type=float, default=None, help="seconds a pending notice may wait for its job")
def outbox_sweep(grace):
    """Re-enqueue notices stuck in pending or sending."""
    from core.outbox import sweep
    click.echo(f"re-enqueued {sweep(grace)} notices")


gentou_cli.add_command(worker_command)


@gentou_cli.group("processes")
def processes_cli():
    """Approval processes: which provider decides each kind, per group company."""


@processes_cli.command("providers")
@click.option("--company", required=True, help="code of the group company")
def processes_providers(company):
    """Each process kind of the company, the provider deciding it and whether the company chose it."""
    from core.processes import service
    group = group_by_code(company)
    click.echo("offered: " + ", ".join(service.approval_providers(group.id)))
    for kind in service.kinds_for(group.id):
        chosen = service.chosen_provider(group.id, kind.code)
        click.echo(f"{kind.code:<24} {service.approval_provider(group.id, kind.code).name:<12} "
                   + ("chosen" if chosen else "default"))


@processes_cli.command("provider")
@click.argument("kind")
@click.argument("name")
@click.option("--company", required=True, help="code of the group company")
def processes_provider(kind, name, company):
    """Let provider NAME decide the company's processes of KIND."""
    from core.processes import service
    group = group_by_code(company)
    with acting_as(None, "cli"):
        try:
            service.choose_provider(group.id, kind, name)
        except service.ProcessError as exc:
            raise click.ClickException(str(exc)) from None
        db.session.commit()
    click.echo(f"{kind} of {company} is decided by {name}")
