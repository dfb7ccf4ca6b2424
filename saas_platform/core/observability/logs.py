"""Logs: one JSON object per line (``LOG_FORMAT=json``, the production default) or plain text,
each line carrying the office's slug and the request id (or the Celery task id).

The request id comes from the proxy's ``X-Request-ID`` when it looks like one, otherwise it is
made here; the response echoes it, so a resident's complaint can be found in the logs.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid

from flask import Flask, g, has_app_context, request

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@+/=-]{8,128}$")
# Attributes every LogRecord has; anything else was passed with ``extra=`` and is logged too.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
_TEXT_FORMAT = "%(asctime)s %(levelname)s [%(tenant)s %(request_id)s] %(name)s: %(message)s"

log = logging.getLogger("satysfakcja.request")


def _celery_task_id() -> str | None:
    from celery import current_task

    request_ = getattr(current_task, "request", None) if current_task else None
    return getattr(request_, "id", None)


class ContextFilter(logging.Filter):
    """Adds ``tenant`` (the office's slug) and ``request_id`` to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        tenant = request_id = None
        if has_app_context():
            tenant = g.get("tenant_slug")
            request_id = g.get("request_id")
        if request_id is None:
            request_id = _celery_task_id()
        record.tenant = tenant
        record.request_id = request_id
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, tenant, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": _timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "tenant": getattr(record, "tenant", None),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _timestamp(created: float) -> str:
    """ISO 8601 in UTC with milliseconds, as ``datetime.isoformat`` writes it, made cheaply
    (one line per request)."""
    seconds = int(created)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + (
        f".{int((created - seconds) * 1000):03d}+00:00"
    )


def make_formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(_TEXT_FORMAT)


def configure_logging(log_format: str, level: str = "INFO", stream=None) -> logging.Handler:
    """Send every logger's records through one handler on the root logger (replacing the one a
    previous call installed), formatted as ``log_format`` with the context fields."""
    # Every request writes a line. Neither format prints the caller's file and line or the
    # thread, so records skip finding them (the logging HOWTO's "Optimization": the stack walk
    # for the caller alone was about 2 % of a survey GET's CPU).
    logging._srcfile = None
    logging.logThreads = False
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "satysfakcja", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.satysfakcja = True
    handler.addFilter(ContextFilter())
    handler.setFormatter(make_formatter(log_format))
    root.addHandler(handler)
    root.setLevel(level)
    return handler


def sane_request_id(value: str | None) -> str:
    """The proxy's request id when it is a plausible token, otherwise a new one."""
    if value and _SANE_REQUEST_ID.match(value):
        return value
    return uuid.uuid4().hex


def start_request() -> None:
    """``before_request`` (first of all): the request id and the start time."""
    g.request_id = sane_request_id(request.headers.get(REQUEST_ID_HEADER))
    g.request_started = time.perf_counter()


def finish_request(response):
    """``after_request``: echo the request id and write the request's log line."""
    request_id = g.get("request_id")
    if request_id is not None:
        response.headers[REQUEST_ID_HEADER] = request_id
    started = g.get("request_started")
    # The URL rule, not the path: paths of single-use links carry their secret token.
    route = request.url_rule.rule if request.url_rule else None
    log.info(
        "%s %s %s",
        request.method,
        route or request.path,
        response.status_code,
        extra={
            "method": request.method,
            "route": route,
            "path": None if route else request.path[:200],
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
            "host": request.host,
        },
    )
    return response


def init_logging(app: Flask) -> None:
    """Format every log line as configured and give each request its id."""
    from flask.logging import default_handler

    app.logger.removeHandler(default_handler)  # the root handler writes Flask's lines too
    configure_logging(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    app.before_request_funcs.setdefault(None, []).insert(0, start_request)
    app.after_request(finish_request)
