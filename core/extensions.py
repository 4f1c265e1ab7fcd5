"""Flask extensions, created unbound and initialised in create_app."""
from flask import current_app, has_request_context, request
from flask_babel import Babel, Domain
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MAX_PAGE = 1_000_000


class _Database(SQLAlchemy):
    def paginate(self, select, *, page=None, **kwargs):
        """As Flask-SQLAlchemy's, with the ``page`` of the query string held to what a database can skip
        (?page=99999999999999999999 made an OFFSET beyond PostgreSQL's bigint: a 500)."""
        if page is None and has_request_context():
            page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
        return super().paginate(select, page=page, **kwargs)


db = _Database(metadata=MetaData(naming_convention=NAMING))
login_manager = LoginManager()
csrf = CSRFProtect()
migrate = Migrate(compare_type=True, render_as_batch=True)
babel = Babel()


class _AppDomain(Domain):
    """Flask-Babel keeps the catalogues it loaded on its one Babel object, for every app of the process; each app
    has its own translation folders (its plugins'), so each keeps its own (else the first app's "en" serves all)."""

    def get_translations_cache(self, ctx):
        return current_app.extensions.setdefault("gentou_translations", {})


babel.domain_instance = _AppDomain()
