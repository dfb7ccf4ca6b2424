"""Defences of the resident's form that store nothing about the resident.

- Rate limits per client, counted in Redis under a keyed hash of the client address: HMAC-SHA256
  with a key derived from ``SECRET_KEY`` and the UTC date, so the hash rotates daily and cannot
  be linked across days or offices; the counters expire with their window. A kiosk is counted
  by its device instead, with its own, higher limits. When Redis is unreachable the limit fails
  open (the submission is taken) and the outage is logged.
- A signed form-start stamp (hidden field ``started``), tied to the office and the form's
  submission key: a form sent back faster than a person can read it, or older than the CSRF
  lifetime, is refused with a polite message.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app, request
from flask_babel import lazy_gettext
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from limits import RateLimitItemPerDay, RateLimitItemPerHour
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

log = logging.getLogger(__name__)

# Stored under the login limiter's storage prefix (the `limits` library's, unless
# RATELIMIT_STORAGE_OPTIONS names another): its reset clears both.
_NAMESPACE = "survey-submission"


def client_hash(tenant_id: int, address: str, today: datetime | None = None) -> str:
    """A keyed hash of the client address that changes every UTC day and per office."""
    day = (today or datetime.now(UTC)).date().isoformat()
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    day_key = hmac.new(secret, f"submission-limit:{day}".encode(), hashlib.sha256).digest()
    return hmac.new(day_key, f"{tenant_id}:{address}".encode(), hashlib.sha256).hexdigest()


def _rate_limiter() -> FixedWindowRateLimiter:
    # One storage per app: a test app pointed at another Redis never touches this one's.
    limiter = current_app.extensions.get("submission_rate_limiter")
    if limiter is None:
        uri = current_app.config.get("SUBMISSION_LIMIT_STORAGE_URI") or current_app.config.get(
            "RATELIMIT_STORAGE_URI", "memory://"
        )
        # The login limiter's storage options too (a key prefix among them): its reset
        # clears both.
        options = dict(current_app.config.get("RATELIMIT_STORAGE_OPTIONS", {}))
        if uri.startswith("redis"):
            # A resident must not wait for a dead Redis: give up quickly and take the response.
            options.update(socket_connect_timeout=0.5, socket_timeout=0.5)
        limiter = FixedWindowRateLimiter(storage_from_string(uri, **options))
        current_app.extensions["submission_rate_limiter"] = limiter
    return limiter


@dataclass(frozen=True)
class SubmissionLimit:
    per_hour: int
    per_day: int


def client_limit() -> SubmissionLimit:
    """The limits of one client (by address) at one office."""
    config = current_app.config
    return SubmissionLimit(config["SUBMISSIONS_PER_HOUR"], config["SUBMISSIONS_PER_DAY"])


def kiosk_limit() -> SubmissionLimit:
    """The limits of one kiosk device: many residents share it."""
    config = current_app.config
    return SubmissionLimit(
        config["KIOSK_SUBMISSIONS_PER_HOUR"], config["KIOSK_SUBMISSIONS_PER_DAY"]
    )


def take_submission_slot(tenant_id: int, kiosk_device_id: int | None) -> bool:
    """Count one submission against its client's (or kiosk's) limits; False when over them.

    Fails open: when the counters cannot be reached, the submission is allowed and logged.
    """
    if kiosk_device_id is not None:
        identity, limit = f"kiosk:{tenant_id}:{kiosk_device_id}", kiosk_limit()
    else:
        address = request.remote_addr or "unknown"
        identity, limit = f"client:{client_hash(tenant_id, address)}", client_limit()
    limiter = _rate_limiter()
    try:
        # Both windows are counted, so the daily limit also sees hours that hit the hourly one.
        within_hour = limiter.hit(RateLimitItemPerHour(limit.per_hour), _NAMESPACE, identity)
        within_day = limiter.hit(RateLimitItemPerDay(limit.per_day), _NAMESPACE, identity)
    except Exception:  # any storage failure: never lose a resident's answers to it
        log.warning("submission rate limit unavailable, allowing the submission", exc_info=True)
        return True
    return within_hour and within_day


def _start_serializer() -> URLSafeTimedSerializer:
    return _serializer_for(current_app.config["SECRET_KEY"])


@functools.lru_cache(maxsize=8)
def _serializer_for(secret_key: str) -> URLSafeTimedSerializer:
    # Made once per key: every blank page signs a stamp, and deriving the key is not free.
    return URLSafeTimedSerializer(secret_key, salt="survey-form-start")


def form_start_token(tenant_id: int, submission_key: str) -> str:
    """The signed, timestamped stamp a blank form carries in its ``started`` field."""
    return _start_serializer().dumps([tenant_id, submission_key])


class FormStartProblem(Exception):
    """The form's start stamp says the submission should not be taken."""

    def __init__(self, message: str, fresh_form: bool):
        super().__init__(message)
        self.message = message
        self.fresh_form = fresh_form  # the resident must open a new form, not resend this one


FORM_TOO_OLD = lazy_gettext(
    "Formularz był otwarty zbyt długo i wygasł. Odśwież stronę i wypełnij ankietę ponownie."
)
FORM_BROKEN = lazy_gettext("Formularz jest niekompletny. Odśwież stronę i spróbuj ponownie.")
FORM_TOO_FAST = lazy_gettext(
    "Ankieta została wysłana zbyt szybko, by mogła zostać wypełniona przez człowieka. "
    "Sprawdź odpowiedzi i wyślij ją ponownie."
)


def check_form_start(token: str, tenant_id: int, submission_key: str) -> None:
    """Raise ``FormStartProblem`` when the stamp is forged, for another form, too old or the
    form came back faster than a person fills it in."""
    config = current_app.config
    try:
        payload, started = _start_serializer().loads(
            token, max_age=config["SURVEY_FORM_MAX_AGE_SECONDS"], return_timestamp=True
        )
    except SignatureExpired as exc:
        raise FormStartProblem(FORM_TOO_OLD, fresh_form=True) from exc
    except BadSignature as exc:
        raise FormStartProblem(FORM_BROKEN, fresh_form=True) from exc
    if payload != [tenant_id, submission_key]:
        raise FormStartProblem(FORM_BROKEN, fresh_form=True)
    elapsed = (datetime.now(UTC) - started).total_seconds()
    if elapsed < config["SURVEY_MIN_FILL_SECONDS"]:
        raise FormStartProblem(FORM_TOO_FAST, fresh_form=False)
