"""A third-party plugin installed by pip (a dist-info with a ``gentou.plugins`` entry point on sys.path) is
discovered, listed, enabled, gated and migrated like the plugins of the ``plugins/`` folder."""
import textwrap

import sqlalchemy as sa

from core.config import ROOT
from core.extensions import db
from core.plugins import discovery
from tests.conftest import login, make_app
from tests.factories import make_tenant
from tests.test_migrations import fresh_url  # noqa: F401  (fixture: an empty database)

FILES = {
    "stamps/__init__.py": "",
    "stamps/__manifest__.py": "{'name': 'stamps', 'version': '0.3.1', 'summary': 'Stamps from a wheel (tests).'}",
    "stamps/hooks.py": """
        from flask import Blueprint
        from core.hookspecs import hookimpl

        bp = Blueprint("stamps", __name__)

        @bp.route("/")
        def index():
            from core.extensions import db
            return f"stamps: {db.session.execute(db.text('SELECT count(*) FROM stamps_stamp')).scalar()}"

        @hookimpl
        def register_blueprints():
            return [bp]
    """,
    "stamps/migrations/h8a_stamps_tables.py": """
        from alembic import op
        import sqlalchemy as sa

        revision = "h8a_stamps_tables"
        down_revision = None
        branch_labels = ("stamps",)
        depends_on = ("core",)

        def upgrade():
            op.create_table("stamps_stamp", sa.Column("id", sa.Integer(), primary_key=True))

        def downgrade():
            op.drop_table("stamps_stamp")
    """,
    "stamps-0.3.1.dist-info/METADATA": "Metadata-Version: 2.1\nName: stamps\nVersion: 0.3.1\n",
    "stamps-0.3.1.dist-info/entry_points.txt": "[gentou.plugins]\nstamps = stamps\n",
}


def install(site):
    for path, text in FILES.items():
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        (site / path).write_text(textwrap.dedent(text))


def test_an_installed_distribution_is_discovered_listed_enabled_gated_and_migrated(tmp_path, monkeypatch, fresh_url):
    install(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "stamps" in discovery.discover(ROOT / "plugins")
    app = make_app(SQLALCHEMY_DATABASE_URI=fresh_url, plugins=None)  # None: discover, as in production
    run = app.test_cli_runner().invoke
    upgraded = run(args=["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    with app.app_context():
        assert "stamps_stamp" in sa.inspect(db.engine).get_table_names()
        make_tenant("AAA")
        make_tenant("BBB")
        db.session.commit()
    listed = run(args=["gentou", "modules", "list", "--company", "AAA"]).output
    assert any(line.split()[:3] == ["stamps", "0.3.1", "disabled"] for line in listed.splitlines()), listed
    assert run(args=["gentou", "modules", "enable", "stamps", "--company", "AAA"]).exit_code == 0
    assert login(app.test_client(), "aaa_admin").get("/stamps/").get_data(as_text=True) == "stamps: 0"
    assert login(app.test_client(), "bbb_admin").get("/stamps/").status_code == 404
    with app.app_context():
        db.engine.dispose()
