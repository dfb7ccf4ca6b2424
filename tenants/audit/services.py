"""The office's audit log: one call per change, inside the change's own transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_login import current_user

from saas_platform.core.db import db
from tenants.audit.models import AuditEntry


def record(
    action: str,
    object_type: str,
    object_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor_id: int | None = None,
) -> AuditEntry:
    """Log a change made by the signed-in staff member (or ``actor_id``). Flushes only."""
    if actor_id is None and getattr(current_user, "is_authenticated", False):
        actor_id = current_user.id
    entry = AuditEntry(
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def changed_fields(
    obj: object, fields: tuple[str, ...], new_values: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(before, after) for the fields whose value changes; apply the new values to ``obj``."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name in fields:
        if name in new_values and getattr(obj, name) != new_values[name]:
            before[name], after[name] = getattr(obj, name), new_values[name]
            setattr(obj, name, new_values[name])
    return before, after
