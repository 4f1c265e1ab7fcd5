"""Configuration from the environment, with safe defaults for the embedded run."""
import os
from pathlib import Path

DEFAULT_SECRET = "gentou-embedded-default-secret-do-not-use-in-production"
ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the app refuses to start."""


def _database_url(instance: Path) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{instance / 'gentou.db'}"
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def from_environment(instance: Path) -> dict:
    env = os.environ.get("GENTOU_ENV", "development")
    return {
        "GENTOU_ENV": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEFAULT_SECRET),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "RQ_QUEUE": os.environ.get("GENTOU_RQ_QUEUE", "gentou"),
        "GENTOU_SECRETS_KEY": os.environ.get("GENTOU_SECRETS_KEY") or None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "zh",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LOGIN_MAX_FAILURES": int(os.environ.get("GENTOU_LOGIN_MAX_FAILURES", "5")),
        "LOGIN_LOCK_MINUTES": int(os.environ.get("GENTOU_LOGIN_LOCK_MINUTES", "15")),
        # Failed sign-ins from one address (an office behind one NAT shares it) before it waits out the window.
        "LOGIN_ADDRESS_MAX_FAILURES": int(os.environ.get("GENTOU_LOGIN_ADDRESS_MAX_FAILURES", "30")),
        "LOGIN_ADDRESS_WINDOW_MINUTES": int(os.environ.get("GENTOU_LOGIN_ADDRESS_WINDOW_MINUTES", "15")),
        # Reverse proxies in front of the app whose X-Forwarded-For is trusted for the client address.
        "TRUSTED_PROXIES": int(os.environ.get("GENTOU_TRUSTED_PROXIES", "0")),
        "PAGE_SIZE": 20,
        # Seconds a process keeps a signed-in user, a list and an unread count while their tables are unwritten
        # (core.epochs: shared by the processes of one host; 0 where several hosts serve one database).
        "SIGNIN_CACHE_SECONDS": float(os.environ.get("GENTOU_SIGNIN_CACHE_SECONDS", "60")),
        "LIST_CACHE_SECONDS": float(os.environ.get("GENTOU_LIST_CACHE_SECONDS", "60")),
        "MAX_CONTENT_LENGTH": 60 * 1024 * 1024,  # a form with several attachments of at most 10 MB each
        "NOTICE_CHUNK": 100,               # notices per delivery job
        "NOTICE_MAX_ATTEMPTS": 5,
        "NOTICE_BACKOFF_BASE": 2.0,        # seconds; doubled per attempt, with jitter
        "NOTICE_LEASE": 30,                # seconds a claim lasts unless its job renews it (every third)
        "NOTICE_PENDING_GRACE": 60,        # the sweeper leaves younger pending and due notices to their job
        "SWEEP_INTERVAL": 15,
        "REDIS_TIMEOUT": 0.5,              # seconds, connect and read: a hung Redis must not hold a request
        "JOB_RETRY_INTERVALS": (5, 30, 120),  # RQ's retries of a job that failed on the database
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "PASSWORD_MIN_LENGTH": 8,
        "PASSWORD_MAX_LENGTH": 128,
    }


def check_safe(config) -> None:
    """Refuse to start in production with the embedded default secret."""
    if config.get("GENTOU_ENV") == "production" and config.get("SECRET_KEY") in (None, "", DEFAULT_SECRET):
        raise ConfigError("GENTOU_ENV=production requires SECRET_KEY to be set to a private value.")
