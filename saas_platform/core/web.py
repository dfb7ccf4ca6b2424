"""What every host shares: health checks, error pages, security headers and paging."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Sequence
from typing import TypeVar

import redis
from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    jsonify,
    render_template,
    request,
    stream_with_context,
)
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import Select, text
from sqlalchemy.exc import DisconnectionError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from saas_platform.core.db import db
from saas_platform.core.numbers import bounded_int
from saas_platform.core.spreadsheets import Export, csv_chunks

health = Blueprint("health", __name__)

# Lazy: a resident's error page speaks the survey's language (tenants.survey.languages sets it
# per request); everywhere else the language is Polish.
ERROR_TEXTS = {
    400: (_l("Niepoprawne zapytanie"), _l("Nie udało się odczytać wysłanych danych.")),
    403: (_l("Brak dostępu"), _l("Nie masz uprawnień do tej strony.")),
    404: (
        _l("Nie znaleziono strony"),
        _l("Pod tym adresem nie ma strony ani ankiety urzędu."),
    ),
    405: (_l("Niedozwolona operacja"), _l("Ta strona nie obsługuje takiego zapytania.")),
    413: (
        _l("Za dużo danych"),
        _l("Wysłany formularz jest zbyt duży. Skróć komentarz i spróbuj ponownie."),
    ),
    415: (_l("Nieobsługiwany format"), _l("Ta strona przyjmuje tylko zwykły formularz.")),
    429: (_l("Za dużo prób"), _l("Wysłano zbyt wiele formularzy. Spróbuj ponownie później.")),
    500: (
        _l("Błąd serwera"),
        _l("Coś poszło nie tak po naszej stronie. Spróbuj ponownie za chwilę."),
    ),
    503: (
        _l("Serwis chwilowo niedostępny"),
        _l("Trwają prace techniczne. Spróbuj ponownie za chwilę."),
    ),
}
CSRF_EXPIRED = (
    _l("Formularz wygasł"),
    _l(
        "Strona była otwarta zbyt długo lub ciasteczka są wyłączone. Odśwież ją i spróbuj ponownie."
    ),
)


MAX_PAGE = 100_000  # keeps OFFSET far inside the database's integer range


def page_number() -> int:
    """The ``strona`` query parameter as a page number from 1 to ``MAX_PAGE``; 1 for anything
    else (a missing, negative, fractional, huge or otherwise unreadable number)."""
    return bounded_int(request.args.get("strona"), 1, MAX_PAGE) or 1


_Row = TypeVar("_Row")


def newest_first_page(statement: Select[_Row], page: int, size: int) -> tuple[Sequence[_Row], bool]:
    """One page of an ordered ``statement``'s rows, and whether another page follows."""
    rows = db.session.scalars(statement.limit(size + 1).offset((page - 1) * size)).all()
    return rows[:size], len(rows) > size


@health.get("/healthz")
def healthz() -> Response:
    """The process is alive."""
    return jsonify(status="ok")


@health.get("/readyz")
def readyz() -> tuple[Response, int]:
    """The database answers; the state of Redis is reported but does not fail readiness,
    because residents' submissions never depend on it."""
    state = {"database": "ok", "redis": "not configured"}
    status = 200
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any failure means "not ready", and the probe must say so, not crash
        current_app.logger.exception("readiness: database unreachable")
        state["database"] = "unavailable"
        status = 503
    finally:
        db.session.rollback()
    if current_app.config.get("REDIS_URL"):
        try:
            redis.Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=1).ping()
            state["redis"] = "ok"
        except redis.RedisError:
            state["redis"] = "unavailable"
    return jsonify(state), status


def render_error(error: HTTPException) -> tuple[str, int]:
    """A Polish error page for every HTTP error, in the office's look when there is one."""
    code = error.code or 500
    title, default_message = ERROR_TEXTS.get(code, (error.name, error.description))
    message = default_message
    if error.description and error.description != type(error).description:
        message = error.description
    if isinstance(error, CSRFError):
        title, message = CSRF_EXPIRED
    return render_template("errors/error.html", code=code, title=title, message=message), code


# The outage page when even the error template cannot be made without the database (it shows
# the signed-in user and the office, and loading either needs the database that just failed).
PLAIN_ERROR_PAGE = (
    '<!doctype html><html lang="pl"><head><meta charset="utf-8"><title>{title}</title></head>'
    "<body><main><h1>{title}</h1><p>{message}</p></main></body></html>"
)


def render_server_error(error: Exception) -> tuple[str, int]:
    """Anything unexpected: a Polish page, never a stack trace. A database that cannot be
    reached (restarting, say) is a 503: the request may simply be tried again."""
    with contextlib.suppress(SQLAlchemyError):  # the connection may be gone; the pool replaces it
        db.session.rollback()  # a failed one is dealt with at teardown (db.release_session)
    if isinstance(error, OperationalError | DisconnectionError):
        current_app.logger.warning("database unavailable: %s", error)
        title, message = ERROR_TEXTS[503]
        # The rollback expired the office's row: this page names no office.
        g.tenant = None
        try:
            return render_template("errors/error.html", code=503, title=title, message=message), 503
        except SQLAlchemyError:
            return PLAIN_ERROR_PAGE.format(title=title, message=message), 503
    current_app.logger.exception("unhandled error", exc_info=error)
    return render_template(
        "errors/error.html", code=500, title=ERROR_TEXTS[500][0], message=ERROR_TEXTS[500][1]
    ), 500


# Browser features no page of the platform uses, denied to every page and every frame.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer", "camera", "display-capture", "geolocation", "gyroscope", "hid",
        "idle-detection", "magnetometer", "microphone", "midi", "payment",
        "publickey-credentials-get", "screen-wake-lock", "serial", "usb", "xr-spatial-tracking",
    )
)  # fmt: skip


def private_pages(blueprint: Blueprint) -> None:
    """Every page of ``blueprint`` (and of the blueprints nested in it) is one person's: no
    browser or proxy keeps a copy. An ``after_request`` of the blueprint, so that its error
    pages (a 429 raised before its own ``before_request``) are marked too."""

    @blueprint.after_request
    def _mark_private(response: Response) -> Response:
        g.private_page = True
        return response


def allow_framing() -> None:
    """This response may be shown in a frame on any site (a page made to be embedded); every
    other page refuses to be framed."""
    g.frame_ancestors = "*"


def set_security_headers(response: Response) -> Response:
    """No inline script at all, inline styles only with this request's nonce; no frames but
    those ``allow_framing`` permits; no feature the platform does not use; HTTPS only once
    seen (``HSTS_SECONDS``); private pages never stored."""
    nonce = g.get("csp_nonce", "")
    frame_ancestors = g.get("frame_ancestors", "'none'")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; "
        f"style-src 'self' 'nonce-{nonce}'; script-src 'self'; form-action 'self'; "
        f"frame-ancestors {frame_ancestors}; base-uri 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    hsts_seconds = current_app.config.get("HSTS_SECONDS", 0)
    if hsts_seconds and request.is_secure:  # a browser ignores it over plain HTTP (RFC 6797)
        response.headers.setdefault("Strict-Transport-Security", f"max-age={hsts_seconds}")
    if g.get("private_page"):
        response.headers["Cache-Control"] = "no-store"
    return response


def make_csp_nonce() -> None:
    g.csp_nonce = secrets.token_urlsafe(16)


def csv_download(export: Export, filename: str) -> Response:
    """``export`` streamed as a CSV attachment; its batches read the database as they go, so
    they run inside the request's context."""
    response = current_app.response_class(
        stream_with_context(csv_chunks(export)), mimetype="text/csv"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
