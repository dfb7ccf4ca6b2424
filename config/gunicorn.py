"""Gunicorn settings: `gunicorn -c config/gunicorn.py "saas_platform.app:create_app()"`."""

import logging
import multiprocessing
import os

from gunicorn.glogging import Logger

from config import DEFAULT_FORWARDED_ALLOW_IPS
from saas_platform.core.observability.multiprocess import process_exited, reset_samples


class AppWritesAccessLog(Logger):
    """The app writes each request's line itself (with the office and the request id), and
    ``gunicorn.access`` below is switched off: skip building gunicorn's own line for nothing
    (its check looks only at whether logging is configured at all)."""

    def access(self, resp, req, environ, request_time):
        if self.access_log.isEnabledFor(logging.INFO):
            super().access(resp, req, environ, request_time)


logger_class = AppWritesAccessLog

# Loopback unless told otherwise: the app believes X-Forwarded-For from its proxy, so only the
# proxy should reach it. The image binds 0.0.0.0 (deploy/Dockerfile), behind a network policy.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
# Threads overlap the database round trips of one process and keep connections alive.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 30
keepalive = 5
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
# The proxies allowed to set X-Forwarded-*; the app reads the same list (PROXY_FIX_HOPS).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", DEFAULT_FORWARDED_ALLOW_IPS)
# gunicorn >= 27 opens a control socket under $HOME, which the service user cannot write to
control_socket_disable = True

# Every line JSON (LOG_FORMAT=json, the production default), like the app's own lines.
_log_format = os.environ.get(
    "LOG_FORMAT", "json" if os.environ.get("APP_ENV") == "production" else "text"
)
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "app": {
            "()": "saas_platform.core.observability.logs.make_formatter",
            "log_format": _log_format,
        }
    },
    "filters": {"context": {"()": "saas_platform.core.observability.logs.ContextFilter"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "app",
            "filters": ["context"],
            "stream": "ext://sys.stderr",
        }
    },
    # the app installs its own root handler (saas_platform.core.observability.logs)
    "root": {"level": "INFO", "handlers": []},
    "loggers": {
        "gunicorn.error": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        # the app writes one line per request itself, with the office and the request id
        "gunicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
    },
}


def on_starting(server):
    """Prometheus multiprocess mode: samples of a previous run must not be added to this one."""
    reset_samples()


def child_exit(server, worker):
    process_exited(worker.pid)
