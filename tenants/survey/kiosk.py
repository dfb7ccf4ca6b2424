"""Kiosk devices: shared tablets in the office with their own submission limits.

The admin creates a device and gets its link once; only a hash of the token is stored.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from sqlalchemy import select

from saas_platform.core.db import db, utcnow
from saas_platform.core.text import clean_text
from tenants.audit import services as audit
from tenants.survey.models import KioskDevice

TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_kiosk(name: str) -> tuple[KioskDevice, str]:
    """A new kiosk device of the current office and its token (shown once), audited; flushes
    only. A name the text policy refuses raises ``RefusedCharacter``."""
    name = clean_text(name, single_line=True)[:200]
    token = secrets.token_urlsafe(32)
    device = KioskDevice(name=name, token_hash=_token_hash(token))
    db.session.add(device)
    db.session.flush()
    audit.record("kiosk.create", "kiosk", device.id, after={"name": device.name})
    return device, token


def revoke_kiosk(device: KioskDevice) -> None:
    """The device's link stops giving the kiosk limit, audited; flushes only."""
    if device.revoked_at is None:
        device.revoked_at = utcnow()
        db.session.flush()
    audit.record("kiosk.revoke", "kiosk", device.id, before={"name": device.name})


def kiosks() -> list[KioskDevice]:
    """The current office's kiosk devices, newest first."""
    return list(db.session.scalars(select(KioskDevice).order_by(KioskDevice.id.desc())))


def valid_kiosk_token(token: str) -> str:
    """``token`` when it looks like a kiosk token, else an empty string (safe to echo back)."""
    return token if TOKEN_PATTERN.match(token or "") else ""


def active_kiosk_id(token: str) -> int | None:
    """The id of the current office's active kiosk holding ``token``, or None."""
    if not valid_kiosk_token(token):
        return None
    return db.session.scalar(
        select(KioskDevice.id).where(
            KioskDevice.token_hash == _token_hash(token), KioskDevice.revoked_at.is_(None)
        )
    )
