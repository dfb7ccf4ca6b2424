"""Authentication primitives: password hashing, the login manager (whose user loader the
accounts area installs), login throttling with device cookies, and signed one-time links."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, Response, current_app, request
from flask_limiter import Limiter
from flask_login import LoginManager
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
_hasher = PasswordHasher()

login_manager = LoginManager()
login_manager.login_message = "Zaloguj się, aby zobaczyć tę stronę."
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


def _client_address() -> str:
    # ProxyFix (deploy) puts the real client address here; nothing of it is ever stored.
    return request.remote_addr or "unknown"


limiter = Limiter(key_func=_client_address, default_limits=[], headers_enabled=False)


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; never raises for a wrong or missing hash."""
    if not password_hash:
        _hasher.hash(password)  # same cost whether or not the account exists
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    """A Polish message when ``password`` is not acceptable, else None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Hasło musi mieć co najmniej {MIN_PASSWORD_LENGTH} znaków."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Hasło może mieć najwyżej {MAX_PASSWORD_LENGTH} znaków."
    return None


# OWASP's device cookies: a browser that signed in to an account before keeps its own allowance
# of failed logins, so failures from anywhere else cannot lock the account's owner out.
DEVICE_COOKIE_PREFIX = "device-"
DEVICE_COOKIE_LIFETIME = timedelta(days=180)


def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="login-device")


def _account_digest(account: str) -> str:
    # Keyed with the secret: neither the cookie's name nor its value gives the address away.
    return hmac.new(
        current_app.config["SECRET_KEY"].encode(), account.encode(), hashlib.sha256
    ).hexdigest()[:20]


def known_device(account: str) -> str | None:
    """The nonce of this browser's device cookie for ``account``, if it has a valid one."""
    digest = _account_digest(account)
    value = request.cookies.get(DEVICE_COOKIE_PREFIX + digest)
    if not value:
        return None
    try:
        payload = _device_serializer().loads(
            value, max_age=int(DEVICE_COOKIE_LIFETIME.total_seconds())
        )
    except BadSignature:  # forged, another secret's, or expired (SignatureExpired)
        return None
    if not isinstance(payload, dict) or payload.get("a") != digest:
        return None
    nonce = payload.get("n")
    return nonce if isinstance(nonce, str) and nonce else None


def remember_device(response: Response, account: str, path: str) -> None:
    """After a successful login: a new device cookie for ``account``, sent back only to the
    login page at ``path``."""
    # One cookie per account: a shared office computer keeps one for each member.
    digest = _account_digest(account)
    signed = _device_serializer().dumps({"a": digest, "n": secrets.token_urlsafe(16)})
    response.set_cookie(
        DEVICE_COOKIE_PREFIX + digest,
        signed,
        max_age=int(DEVICE_COOKIE_LIFETIME.total_seconds()),
        path=path,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Strict",
    )


def _link_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="staff-link")


def sign_link(payload: dict) -> str:
    """A URL-safe, signed and timestamped token carrying ``payload``."""
    return _link_serializer().dumps(payload)


def read_link(token: str, max_age_seconds: int) -> dict | None:
    """The payload of a token signed by ``sign_link``, or None if forged or too old."""
    try:
        payload = _link_serializer().loads(token, max_age=max_age_seconds)
    except (BadSignature, SignatureExpired):
        return None
    return payload if isinstance(payload, dict) else None


def sign_single_use(row) -> str:
    """The signed string naming a single-use link row (one with ``id`` and ``nonce``)."""
    return sign_link({"t": row.id, "n": row.nonce})


def open_single_use(model, signed: str, max_age_seconds: int):
    """The row of ``model`` a signed single-use link names, if it is unused and unexpired.

    The signature proves the link was made here; the row's nonce, ``used_at`` and
    ``expires_at`` make it single-use and expiring. Rows are read through the ORM, so a staff
    link of another office is simply not found.
    """
    from saas_platform.core.db import db, utcnow

    payload = read_link(signed, max_age_seconds)
    if payload is None or not isinstance(payload.get("t"), int):
        return None
    row = db.session.get(model, payload["t"])
    if (
        row is None
        or not secrets.compare_digest(row.nonce, str(payload.get("n", "")))
        or row.used_at is not None
        or row.expires_at <= utcnow()
    ):
        return None
    return row


def init_security(app: Flask) -> None:
    login_manager.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "satysfakcja-limits")
    limiter.init_app(app)
