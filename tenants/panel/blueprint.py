"""The ``/panel/`` blueprint and the access rules every staff page shares."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user

from saas_platform.core.tenancy.resolver import require_tenant_site
from saas_platform.core.web import private_pages

bp = Blueprint("panel", __name__, url_prefix="/panel")
private_pages(bp)

# Pages a signed-out visitor may open; everything else needs a staff session of this office.
PUBLIC_ENDPOINTS = frozenset({"panel.login", "panel.forgot_password", "panel.set_password"})


@bp.before_request
def _require_staff() -> None:
    require_tenant_site()
    if request.endpoint not in PUBLIC_ENDPOINTS and not current_user.is_authenticated:
        return redirect(url_for("panel.login", next=request.full_path.rstrip("?")))
    return None


def admin_required(view):
    """Analysts get a 403 on admin pages."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def whole_office_required(view):
    """A page of the whole office's data: a department manager, who reads only their own
    departments', gets a 403 (as an analyst does on admin pages)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_user.department_scope is not None:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def safe_next(target: str | None) -> str:
    """Where to go after login: only a path inside this panel, never another host."""
    if target and target.startswith("/panel/") and not target.startswith("//"):
        return target
    return url_for("panel.dashboard")
