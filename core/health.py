"""GET /healthz: the state of the database and of Redis."""
from flask import Blueprint, current_app, jsonify

from core.extensions import db

bp = Blueprint("health", __name__)


def redis_state() -> str:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "absent"
    import redis
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
        return "ok"
    except redis.RedisError:
        return "down"


@bp.route("/healthz")
def healthz():
    try:
        db.session.execute(db.text("SELECT 1"))
        database = "ok"
    except Exception:  # any driver error means the database is not usable
        db.session.rollback()
        database = "down"
    state = {"database": database, "redis": redis_state()}
    healthy = database == "ok" and state["redis"] != "down"
    return jsonify(status="ok" if healthy else "degraded", **state), 200 if healthy else 503
