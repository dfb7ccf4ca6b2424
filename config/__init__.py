"""Settings read from the environment.

With no environment at all the platform runs embedded: a SQLite file under ``instance/``,
Celery tasks in-process, mail printed to the log, and ``PLATFORM_DOMAIN=localhost`` so that
``http://wolomin.localhost:5000`` works in a browser. ``APP_ENV=production`` requires every
setting that has no safe default and refuses to start without it.
"""

from __future__ import annotations

import base64
import ipaddress
import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

from saas_platform.core.secrets_box import MalformedSecretsKey, key_ring

REPO_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = REPO_ROOT / "instance"

PRODUCTION_REQUIRED = (
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "SECRETS_KEY",
    "PLATFORM_DOMAIN",
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_DEFAULT_SENDER",
)
# Encrypts the operators' TOTP secrets in the embedded mode: a valid Fernet key that decodes to
# readable text, as public as SECRET_KEY's embedded default.
EMBEDDED_SECRETS_KEY = base64.urlsafe_b64encode(b"embedded-mode-not-secret........").decode()

# The proxies whose X-Forwarded-* headers count, for gunicorn (config/gunicorn.py) and the app
# alike: gunicorn's own default.
DEFAULT_FORWARDED_ALLOW_IPS = "127.0.0.1,::1"
MAX_PROXY_HOPS = 5
ONE_YEAR_SECONDS = 365 * 24 * 3600

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ConfigurationError(RuntimeError):
    """A required setting is missing or malformed; the message says which and how to fix it."""


def parse_networks(name: str, value: str) -> tuple[Network, ...]:
    """The setting ``name``: comma-separated addresses or networks."""
    try:
        return tuple(
            ipaddress.ip_network(part.strip(), strict=False)
            for part in value.split(",")
            if part.strip()
        )
    except ValueError as exc:
        raise ConfigurationError(f"{name} is not a list of networks: {exc}") from exc


def trusted_proxies(hops: int, forwarded_allow_ips: str) -> tuple[Network, ...] | None:
    """The networks whose forwarded headers the app believes (None: any peer, ``*``).

    ``PROXY_FIX_HOPS`` above 0 with no proxy named would believe nobody: every resident would
    share the proxy's address, and with it one rate limit. That is refused at startup.
    """
    if forwarded_allow_ips.strip() == "*":
        return None
    networks = parse_networks("FORWARDED_ALLOW_IPS", forwarded_allow_ips)
    if hops and not networks:
        raise ConfigurationError(
            f"PROXY_FIX_HOPS={hops} trusts a proxy's forwarded headers, but FORWARDED_ALLOW_IPS "
            "names no proxy: set it to the proxy's address (or * where only the proxy can "
            "reach the app)."
        )
    return networks


class BaseConfig:
    # Idle connections are pinged before use (saas_platform.core.db.ping_idle_connections).
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": False}
    DB_IDLE_PING_SECONDS = 2.0
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    MAX_CONTENT_LENGTH = 64 * 1024  # a complete survey is well under 40 KiB
    WTF_CSRF_TIME_LIMIT = 8 * 3600  # a slow reader on a phone must not be refused
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    TEMPLATES_AUTO_RELOAD = False
    OPEN_TEXT_MAX_LENGTH = 2000
    # A blank survey page is served from the process's memory this long after it was
    # rendered (tokens filled per request); a change is seen at once by the process that
    # made it, within this many seconds by the others.
    SURVEY_PAGE_CACHE_SECONDS = float(os.environ.get("SURVEY_PAGE_CACHE_SECONDS", "2"))
    # The public "Wyniki i zmiany" page's figures are kept this long per office and language
    # (new responses show up that late); a change to the office, its survey or a published
    # action moves the key at once (tenants.reports.public).
    RESULTS_PAGE_CACHE_SECONDS = float(os.environ.get("RESULTS_PAGE_CACHE_SECONDS", "300"))
    # Login throttling must not lock staff out when Redis is down: fail open, and log it.
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_HEADERS_ENABLED = False
    # Scheduled reports: made on this day after their period ends, at this hour (platform-wide).
    SCHEDULED_REPORTS_DAY = int(os.environ.get("SCHEDULED_REPORTS_DAY", "2"))
    SCHEDULED_REPORTS_HOUR = int(os.environ.get("SCHEDULED_REPORTS_HOUR", "6"))
    # The sweeper (beat, every REPORT_SWEEP_SECONDS) sends again a report queued longer than the
    # grace (the broker lost it) or running longer than the timeout (its worker died).
    REPORT_SWEEP_SECONDS = float(os.environ.get("REPORT_SWEEP_SECONDS", "300"))
    REPORT_QUEUED_GRACE_SECONDS = int(os.environ.get("REPORT_QUEUED_GRACE_SECONDS", "120"))
    REPORT_RUNNING_TIMEOUT_SECONDS = int(os.environ.get("REPORT_RUNNING_TIMEOUT_SECONDS", "900"))
    # Fault tests only (tests/topology): the render task waits this long after taking a report,
    # so that a test can kill the worker in the middle of rendering. Never set in production.
    FAULT_TEST_RENDER_DELAY_SECONDS = float(os.environ.get("FAULT_TEST_RENDER_DELAY_SECONDS", "0"))
    # Reports larger than this are not attached; the e-mail carries a link to the panel.
    REPORT_ATTACHMENT_LIMIT = 8 * 1024 * 1024
    # An export of more responses than this is made by a worker (progress on its page, a link
    # e-mailed when ready); a smaller one is streamed at once.
    EXPORT_BACKGROUND_THRESHOLD = int(os.environ.get("EXPORT_BACKGROUND_THRESHOLD", "20000"))
    # An XLSX workbook is written whole before its first byte can go (about 0.3 s per 1,000
    # responses here): past this many it is made by a worker too, so every export request
    # answers within a second.
    EXPORT_XLSX_BACKGROUND_THRESHOLD = int(
        os.environ.get("EXPORT_XLSX_BACKGROUND_THRESHOLD", "3000")
    )
    # A failed e-mail is retried after 30 s, 60 s, 120 s, ... (at most an hour apart).
    EMAIL_RETRY_BASE_SECONDS = float(os.environ.get("EMAIL_RETRY_BASE_SECONDS", "30"))
    RATELIMIT_STRATEGY = "moving-window"  # no double burst at a fixed window's edge
    # Resident submissions per client address (hashed, rotating daily) and per kiosk device.
    SUBMISSIONS_PER_HOUR = int(os.environ.get("SUBMISSIONS_PER_HOUR", "20"))
    SUBMISSIONS_PER_DAY = int(os.environ.get("SUBMISSIONS_PER_DAY", "60"))
    KIOSK_SUBMISSIONS_PER_HOUR = int(os.environ.get("KIOSK_SUBMISSIONS_PER_HOUR", "120"))
    KIOSK_SUBMISSIONS_PER_DAY = int(os.environ.get("KIOSK_SUBMISSIONS_PER_DAY", "600"))
    # Retention deletes old responses in batches of this many, each its own transaction.
    RETENTION_BATCH_SIZE = 1000
    RETENTION_HOUR = int(os.environ.get("RETENTION_HOUR", "3"))
    # Overdue actions are e-mailed about daily at this hour, minute 15.
    ACTION_REMINDERS_HOUR = int(os.environ.get("ACTION_REMINDERS_HOUR", "7"))
    # The alerts digest: the hour the daily beat (minute 45) claims the windows staff are owed.
    ALERT_DIGEST_HOUR = int(os.environ.get("ALERT_DIGEST_HOUR", "6"))
    # A kiosk's thank-you page opens a fresh form for the next person after this many seconds.
    KIOSK_RESET_SECONDS = int(os.environ.get("KIOSK_RESET_SECONDS", "10"))
    # Bot signals: faster than this is not a person; older than the CSRF token is expired.
    SURVEY_MIN_FILL_SECONDS = int(os.environ.get("SURVEY_MIN_FILL_SECONDS", "3"))
    SURVEY_FORM_MAX_AGE_SECONDS = WTF_CSRF_TIME_LIMIT
    # Burst detection: this many responses with the same answers within the window.
    BURST_WINDOW_MINUTES = 10
    BURST_SIZE = 5


def _embedded(env: Mapping[str, str]) -> dict:
    INSTANCE_DIR.mkdir(exist_ok=True)
    return {
        "APP_ENV": "embedded",
        "SQLALCHEMY_DATABASE_URI": env.get("DATABASE_URL")
        or f"sqlite:///{INSTANCE_DIR / 'satysfakcja.sqlite'}",
        "REDIS_URL": env.get("REDIS_URL", ""),
        "SECRET_KEY": env.get("SECRET_KEY", "embedded-mode-not-secret"),
        "SECRETS_KEY": env.get("SECRETS_KEY") or EMBEDDED_SECRETS_KEY,
        "PLATFORM_DOMAIN": env.get("PLATFORM_DOMAIN", "localhost").lower(),
        "CELERY_TASK_ALWAYS_EAGER": not env.get("REDIS_URL"),
        "MAIL_SERVER": env.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(env.get("MAIL_PORT", "25")),
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER", "ankieta@localhost"),
        # Every message is also kept here (the newest 50), listed at /dev/poczta on the apex.
        "DEV_MAILBOX": env.get("DEV_MAILBOX") or str(INSTANCE_DIR / "poczta.json"),
        "SESSION_COOKIE_SECURE": False,
        "PREFERRED_URL_SCHEME": "http",
        "PUBLIC_PORT": env.get("PUBLIC_PORT", "5000"),
    }


def _production(env: Mapping[str, str]) -> dict:
    missing = [name for name in PRODUCTION_REQUIRED if not env.get(name)]
    if missing:
        raise ConfigurationError(
            "APP_ENV=production needs these environment variables, which are not set: "
            + ", ".join(missing)
            + ". See README.md, section Configuration."
        )
    if not env["DATABASE_URL"].startswith("postgresql"):
        raise ConfigurationError("DATABASE_URL must point at PostgreSQL in production.")
    try:
        mail_port = int(env["MAIL_PORT"])
    except ValueError as exc:
        raise ConfigurationError(f"MAIL_PORT must be a number, got {env['MAIL_PORT']!r}.") from exc
    return {
        "APP_ENV": "production",
        "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"],
        "REDIS_URL": env["REDIS_URL"],
        "SECRET_KEY": env["SECRET_KEY"],
        "SECRETS_KEY": env["SECRETS_KEY"],
        "PLATFORM_DOMAIN": env["PLATFORM_DOMAIN"].lower(),
        "CELERY_TASK_ALWAYS_EAGER": False,
        "MAIL_SERVER": env["MAIL_SERVER"],
        "MAIL_PORT": mail_port,
        "MAIL_DEFAULT_SENDER": env["MAIL_DEFAULT_SENDER"],
        "DEV_MAILBOX": "",  # production keeps no copy of its mail
        "SESSION_COOKIE_SECURE": True,
        "PREFERRED_URL_SCHEME": "https",
        "PUBLIC_PORT": env.get("PUBLIC_PORT", ""),
    }


def _operations(env: Mapping[str, str], production: bool) -> dict:
    """Logging, metrics and proxy settings; the defaults differ between the two modes."""
    log_format = env.get("LOG_FORMAT", "json" if production else "text").lower()
    if log_format not in ("json", "text"):
        raise ConfigurationError(f"LOG_FORMAT must be 'json' or 'text', got {log_format!r}.")
    hops = _proxy_hops(env, production)
    forwarded_allow_ips = env.get("FORWARDED_ALLOW_IPS", DEFAULT_FORWARDED_ALLOW_IPS)
    trusted_proxies(hops, forwarded_allow_ips)  # refuses a list that trusts nobody
    hsts_seconds = env.get("HSTS_SECONDS", str(ONE_YEAR_SECONDS) if production else "0")
    if not hsts_seconds.isdigit():
        raise ConfigurationError(
            f"HSTS_SECONDS must be a number of seconds (0: off), got {hsts_seconds!r}."
        )
    return {
        "LOG_FORMAT": log_format,
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO").upper(),
        # Behind nginx: trust this many proxies' X-Forwarded-For/-Proto/-Host, and only when
        # the request comes from one of FORWARDED_ALLOW_IPS.
        "PROXY_FIX_HOPS": hops,
        "FORWARDED_ALLOW_IPS": forwarded_allow_ips,
        # Strict-Transport-Security on HTTPS responses (0: none, the embedded default).
        "HSTS_SECONDS": int(hsts_seconds),
        # /metrics answers these client networks, or a request with the bearer token.
        "METRICS_ALLOW": env.get("METRICS_ALLOW", "127.0.0.1/32,::1/128"),
        "METRICS_TOKEN": env.get("METRICS_TOKEN", ""),
    }


def _proxy_hops(env: Mapping[str, str], production: bool) -> int:
    """``PROXY_FIX_HOPS``; the older ``PROXY_FIX=1``/``0`` still means one hop or none."""
    legacy = env.get("PROXY_FIX", "").lower()
    if legacy not in ("", "0", "1", "true", "false", "yes", "no"):
        raise ConfigurationError(f"PROXY_FIX must be 1 or 0, got {legacy!r}.")
    legacy_on = legacy in ("1", "true", "yes")
    hops = env.get("PROXY_FIX_HOPS")
    if hops is None:
        return int(legacy_on) if legacy else int(production)
    if not hops.isdigit() or int(hops) > MAX_PROXY_HOPS:
        raise ConfigurationError(
            f"PROXY_FIX_HOPS must be the number of proxies in front of the app "
            f"(0-{MAX_PROXY_HOPS}), got {hops!r}."
        )
    if legacy and legacy_on != (int(hops) > 0):
        raise ConfigurationError(
            f"PROXY_FIX={legacy} contradicts PROXY_FIX_HOPS={hops}: set PROXY_FIX_HOPS only."
        )
    return int(hops)


def _with_driver(url: str) -> str:
    """Pin PostgreSQL URLs to psycopg2 (SQLAlchemy 2.1 would otherwise pick psycopg 3)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


def load_settings(env: Mapping[str, str] | None = None) -> dict:
    """Return the Flask settings for the environment (``os.environ`` by default)."""
    env = os.environ if env is None else env
    app_env = env.get("APP_ENV", "embedded").lower()
    if app_env == "production":
        values = _production(env)
    elif app_env in ("embedded", "development", ""):
        values = _embedded(env)
    else:
        raise ConfigurationError(f"APP_ENV must be 'production' or unset, got {app_env!r}.")
    try:
        key_ring(values["SECRETS_KEY"])
    except MalformedSecretsKey as exc:
        raise ConfigurationError(str(exc)) from exc
    settings = {k: v for k, v in vars(BaseConfig).items() if k.isupper()}
    settings.update(values)
    settings.update(_operations(env, production=values["APP_ENV"] == "production"))
    # Migrations run as the table owner; the application connects as a role that is not.
    settings["SQLALCHEMY_DATABASE_URI"] = _with_driver(settings["SQLALCHEMY_DATABASE_URI"])
    settings["MIGRATIONS_DATABASE_URI"] = _with_driver(
        env.get("DATABASE_OWNER_URL") or settings["SQLALCHEMY_DATABASE_URI"]
    )
    return settings
