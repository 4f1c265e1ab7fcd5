"""Flask extensions, created unbound and initialised in create_app."""
from flask import current_app, has_request_context, request
from flask_babel import Babel, Domain
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.pagination import SelectPagination
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


class RowPagination(SelectPagination):
    """A page of rows (named tuples of the selected columns), not of ORM entities: a list page that shows
    columns skips building and tracking an object per row and per joined row (the most of its database time)."""

    def _query_items(self) -> list:
        select = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return self._query_args["session"].execute(select).all()

    def _query_count(self) -> int:
        counted = self._query_args["count_select"]
        if counted is None:
            return super()._query_count()
        return self._query_args["session"].execute(counted).scalar()


def paginate_rows(select, *, per_page: int, page=None, count_select=None) -> RowPagination:
    """``db.paginate`` for a select of columns; ``page`` from the query string, held as ``db.paginate`` holds it.
    ``count_select``: a cheaper statement giving the same count (the rows' table alone, without joins that
    neither add nor remove rows), else the count of ``select`` as a subquery."""
    if page is None and has_request_context():
        page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    return RowPagination(select=select, session=db.session(), page=page, per_page=per_page, max_per_page=None,
                         error_out=False, count=True, count_select=count_select)


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
