"""The application factory."""
from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path

from flask import Flask, abort, current_app, g, has_request_context, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy.orm import Session

from core import audit, config as config_module, epochs, jobs, session_cookie, signins, tenancy
from core.extensions import babel, csrf, db, login_manager, migrate
from core.plugins import discovery
from core.plugins.manifest import PluginError
from core.plugins.registry import Registry

log = logging.getLogger(__name__)
_session_events_installed = False


def _install_session_events() -> None:
    global _session_events_installed
    if not _session_events_installed:
        tenancy.install(Session)
        audit.install(Session)
        jobs.install(Session)
        from core import review
        review.install(Session)
        from core.processes import attachments
        attachments.install(Session)
        from core import changes
        changes.install(Session)
        _session_events_installed = True


def _select_locale():
    if not has_request_context():
        return current_app.config.get("BABEL_DEFAULT_LOCALE", "zh")
    wanted = request.args.get("lang")
    if wanted in ("zh", "en"):
        session["lang"] = wanted
    if session.get("lang") in ("zh", "en"):
        return session["lang"]
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.locale:
        return current_user.locale
    return "zh"


def create_app(config: dict | None = None, plugins: list[str] | None = None) -> Flask:
    """Build the app. ``plugins``: package names to install; ``None`` discovers them."""
    app = Flask(__name__, instance_path=str(config_module.ROOT / "instance"))
    Path(app.instance_path).mkdir(exist_ok=True)
    app.config.update(config_module.from_environment(Path(app.instance_path)))
    app.config.update(config or {})
    config_module.check_safe(app.config)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A file database has no server connection to go stale: no "SELECT 1" before every checkout.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            k: v for k, v in app.config["SQLALCHEMY_ENGINE_OPTIONS"].items() if k != "pool_pre_ping"}
    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"])

    if plugins is None:
        plugins = discovery.discover(config_module.ROOT / "plugins")
    registry = Registry(discovery.load(list(plugins)))
    app.extensions["gentou"] = registry

    app.session_interface = session_cookie.SessionInterface()
    db.init_app(app)
    _install_session_events()
    with app.app_context():
        signins.install(app, epochs.install(app, db.engine, lambda: db.metadata.tables))
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    translation_dirs = [str(config_module.ROOT / "core" / "translations")]
    for m in registry.installed():
        folder = _package_dir(m.package) / "translations"
        if folder.is_dir():
            translation_dirs.append(str(folder))
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(translation_dirs)
    babel.init_app(app, locale_selector=_select_locale)

    from core import models  # noqa: F401  (declares the host's tables)
    from core.processes import models as process_models  # noqa: F401
    _apply_plugin_declarations(app, registry)
    _register_core_blueprints(app)
    _install_request_hooks(app, registry)
    from core import headers
    headers.install(app)
    _install_migrations(app, registry)

    from core.cli import gentou_cli
    registry.per_plugin("register_cli", group=gentou_cli)
    app.cli.add_command(gentou_cli)
    return app


def _package_dir(package: str) -> Path:
    import importlib.util
    spec = importlib.util.find_spec(package)
    return Path(list(spec.submodule_search_locations)[0])


def _apply_plugin_declarations(app: Flask, registry: Registry) -> None:
    """Call every installed plugin's register_* hooks and apply what they declare."""
    _apply_models(registry)
    _apply_blueprints(app, registry)
    from core.declarations import MenuItem
    for name, items in registry.per_plugin("register_menu"):
        registry.menu += [MenuItem(**{**item.__dict__, "plugin": name}) for item in items or []]
    _apply_channels(registry)
    for name, declared in registry.per_plugin("register_settings"):
        keys = [s.key for s in declared or []]
        if len(keys) != len(set(keys)):
            raise PluginError(f"plugin {name}: a setting is declared twice")
        registry.settings[name] = list(declared or [])
    for name, kinds in registry.per_plugin("register_processes"):
        for kind in kinds or []:
            if kind.code in registry.processes:
                raise PluginError(f"plugin {name}: process kind {kind.code} declared twice")
            registry.processes[kind.code] = dataclasses.replace(kind, plugin=name)
    _apply_jobs(registry)


def _apply_models(registry: Registry) -> None:
    for name, models in registry.per_plugin("register_models"):
        for model in models or []:
            if not model.__tablename__.startswith(f"{name}_"):
                raise PluginError(f"plugin {name}: table {model.__tablename__} must start with '{name}_'")


def _apply_blueprints(app: Flask, registry: Registry) -> None:
    for name, blueprints in registry.per_plugin("register_blueprints", app=app):
        for bp in blueprints or []:
            if bp.name != name and not bp.name.startswith(f"{name}_"):
                raise PluginError(f"plugin {name}: blueprint {bp.name} must be named after the plugin")
            if bp.name in app.blueprints:
                raise PluginError(f"plugin {name}: blueprint {bp.name} registered twice")
            app.register_blueprint(bp, url_prefix=bp.url_prefix or f"/{name}")
            registry.blueprint_plugin[bp.name] = name


def _apply_channels(registry: Registry) -> None:
    for name, channels in registry.per_plugin("notification_channels"):
        for channel in channels or []:
            if channel.name in registry.channels:
                raise PluginError(f"plugin {name}: notification channel {channel.name} declared twice")
            channel.plugin = registry.module_of(name)
            registry.channels[channel.name] = channel


def _apply_jobs(registry: Registry) -> None:
    from core.declarations import Job

    for name, declared in registry.per_plugin("register_jobs"):
        for job in declared or []:
            full = f"{name}.{job.name}"
            if full in registry.jobs:
                raise PluginError(f"plugin {name}: job {full} declared twice")
            registry.jobs[full] = Job(name=full, func=job.func, description=job.description,
                                      plugin=registry.module_of(name))


def _register_core_blueprints(app: Flask) -> None:
    from core.admin import bp as admin_bp
    from core.auth import bp as auth_bp
    from core.health import bp as health_bp
    from core.home import bp as home_bp
    from core.personal import bp as personal_bp
    from core.processes.review_views import bp as reviews_bp
    from core.processes.views import bp as processes_bp
    from core.ui import install as install_ui

    for bp in (auth_bp, home_bp, admin_bp, health_bp, personal_bp, processes_bp, reviews_bp):
        app.register_blueprint(bp)
    install_ui(app)
    from core.personal import install as install_personal
    install_personal(app)


def _url_group_or_404(code: str, plugin: str, user):
    """The group company a ``<group_code>`` URL names: 404 unless it exists, enabled ``plugin`` and is the user's."""
    from core.models import GroupCompany
    from core.modules import is_enabled

    group = db.session.scalar(db.select(GroupCompany).where(GroupCompany.code == code))
    if group is None or not is_enabled(group.id, plugin) or (user is not None and user.group_id != group.id):
        abort(404)
    return group


def _install_request_hooks(app: Flask, registry: Registry) -> None:
    from core.modules import is_enabled

    @app.before_request
    def _enter_tenant():
        user = current_user._get_current_object()
        user = user if user.is_authenticated else None
        g._gentou_tokens = (
            tenancy.set_current_group(user.group_id if user else None),
            audit.set_actor(user.id if user else None, user.username if user else "anonymous"),
        )
        blueprint = (request.blueprint or "").split(".")[0]
        plugin = registry.blueprint_plugin.get(blueprint)
        if plugin is None:
            return None
        code = (request.view_args or {}).get("group_code")
        if code is not None:
            g.gentou_url_group = _url_group_or_404(code, plugin, user)
        view = current_app.view_functions.get(request.endpoint)
        if user is None:
            if getattr(view, "gentou_public", False):
                return None
            return redirect(url_for("auth.login", next=request.full_path))
        if not is_enabled(user.group_id, plugin):
            abort(404)
        return None

    @app.teardown_request
    def _leave_tenant(exc):
        tokens = g.pop("_gentou_tokens", None)
        if tokens:
            tenancy._current_group.reset(tokens[0])
            audit.reset_actor(tokens[1])


def _install_migrations(app: Flask, registry: Registry) -> None:
    migrate.init_app(app, db, directory=str(config_module.ROOT / "migrations"))
    locations = [str(config_module.ROOT / "migrations" / "versions")]
    for m in registry.installed():
        folder = _package_dir(m.package) / "migrations"
        if folder.is_dir():
            locations.append(str(folder))
    app.config["GENTOU_MIGRATION_LOCATIONS"] = locations
    app.cli.add_command(_db_group_upgrading_all_branches(), "db")


def _db_group_upgrading_all_branches():
    """Flask-Migrate's ``db`` group whose ``upgrade`` defaults to every branch head ("heads")."""
    import copy

    from flask_migrate.cli import db as migrate_group

    upgrade = copy.copy(migrate_group.commands["upgrade"])
    upgrade.params = [copy.copy(p) for p in upgrade.params]
    for param in upgrade.params:
        if param.name == "revision":
            param.default = "heads"
    group = copy.copy(migrate_group)
    group.commands = {**migrate_group.commands, "upgrade": upgrade}
    return group


@migrate.configure
def _alembic_branches(alembic_config):
    """Each plugin's ``migrations/`` folder is a version location (its own Alembic branch)."""
    locations = current_app.config.get("GENTOU_MIGRATION_LOCATIONS")
    if locations:
        alembic_config.set_main_option("path_separator", "os")
        alembic_config.set_main_option("version_locations", os.pathsep.join(locations))
    return alembic_config
