"""Authentication primitives: password hashing, the login manager (whose user loader the
accounts area installs), login throttling and signed one-time links."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app, request
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
