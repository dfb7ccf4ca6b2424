"""The action register's staff pages: the list, one action with its effect and notes, the
form admins create and edit actions with, notes, and the register's exports.

The composition mounts this blueprint inside the panel's, so its URLs are /panel/dzialania...
and the panel's staff guard (a signed-in member of this office) covers every one of them.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from saas_platform.core.db import db
from saas_platform.core.numbers import bounded_int
from saas_platform.core.spreadsheets import XLSX_MIMETYPE, csv_chunks, file_chunks, write_xlsx
from saas_platform.core.tenancy import current_tenant
from saas_platform.core.tenancy.models import Tenant
from tenants.actions import services
from tenants.actions.effects import measure
from tenants.actions.exports import register_export
from tenants.actions.models import (
    DEFAULT_WINDOW_DAYS,
    KIND_LABELS,
    NOTE_LIMIT,
    STATUS_LABELS,
    Action,
)
from tenants.survey.forms import FieldError

bp = Blueprint("actions", __name__)

MAX_ID = 2**31 - 1
STATUS_ARG = "stan"
# Query parameters that prefill a new action (the dashboard's "Zaplanuj działanie").
ITEM_ARG = "pytanie"
DEPARTMENT_ARG = "wydzial"


def _office() -> Tenant:
    """The office of the request (the staff guard has resolved it)."""
    tenant = current_tenant._get_current_object()
    if tenant is None:
        abort(404)
    return tenant


def _action_or_404(action_id: int) -> Action:
    if action_id > MAX_ID:
        abort(404)
    action = db.session.get(Action, action_id)  # other offices' actions are invisible
    # and to a manager, those of no department of theirs (``services.visible_to``)
    if action is None or not services.visible_to(action, current_user.department_scope):
        abort(404)
    return action


def _require_admin() -> None:
    if not current_user.is_admin:
        abort(403)


def _choices() -> dict[str, object]:
    return {
        "items": services.rated_items(),
        "departments": services.office_departments(),
        "staff": services.office_staff(),
        "kinds": KIND_LABELS,
        "statuses": STATUS_LABELS,
    }


def _form_page(
    values: MultiDict[str, str], errors: list[FieldError], action: Action | None, status: int
) -> tuple[str, int]:
    page = render_template(
        "panel/action_form.html",
        values=values,
        errors=errors,
        error_fields=services.form_errors(errors),
        action=action,
        **_choices(),
    )
    return page, status


@bp.get("/dzialania", endpoint="index")
def register() -> ResponseReturnValue:
    """The office's actions: open ones by due date, overdue ones marked."""
    status = request.args.get(STATUS_ARG) or None
    if status is not None and status not in STATUS_LABELS:
        status = None
    return render_template(
        "panel/actions.html",
        actions=services.register(status, current_user.department_scope),
        chosen_status=status,
        today=_office().today(),
        **_choices(),
    )


@bp.route("/dzialania/nowe", methods=["GET", "POST"], endpoint="new")
def new_action() -> ResponseReturnValue:
    """Create an action; the form may come prefilled from a weak item."""
    _require_admin()
    if request.method == "GET":
        prefill: MultiDict[str, str] = MultiDict({"kind": "corrective", "status": "planned"})
        prefill.setlist("item_keys", request.args.getlist(ITEM_ARG))
        prefill.setlist("department_ids", request.args.getlist(DEPARTMENT_ARG))
        prefill["effect_window_days"] = str(DEFAULT_WINDOW_DAYS)
        return _form_page(prefill, [], None, 200)
    check = services.check_action(request.form, _office().today())
    if check.values is None:
        return _form_page(request.form, check.errors, None, 422)
    action = services.create_action(check.values, current_user.id)
    db.session.commit()
    flash("Działanie zostało dodane do rejestru.", "success")
    return redirect(url_for(".detail", action_id=action.id))


@bp.get("/dzialania/<int:action_id>", endpoint="detail")
def action_detail(action_id: int) -> ResponseReturnValue:
    """One action: its data, its measured effect and its progress notes."""
    action = _action_or_404(action_id)
    return _detail_page(action, "", [], 200)


def _detail_page(
    action: Action, note: str, errors: list[FieldError], status: int
) -> tuple[str, int]:
    today = _office().today()
    choices = _choices()
    items = choices["items"]
    assert isinstance(items, dict)
    page = render_template(
        "panel/action_detail.html",
        action=action,
        notes=services.notes_of(action),
        effect=measure(action, items, today, current_user.department_scope),
        today=today,
        note=note,
        note_limit=NOTE_LIMIT,
        errors=errors,
        **choices,
    )
    return page, status


@bp.route("/dzialania/<int:action_id>/edycja", methods=["GET", "POST"], endpoint="edit")
def edit_action(action_id: int) -> ResponseReturnValue:
    """Change an action; a form opened before someone else's save is refused, not applied."""
    _require_admin()
    action = _action_or_404(action_id)
    if request.method == "GET":
        return _form_page(_values_of(action), [], action, 200)
    check = services.check_action(request.form, _office().today())
    if check.values is None:
        return _form_page(request.form, check.errors, action, 422)
    expected = bounded_int(request.form.get("version"), 1, MAX_ID)
    try:
        services.update_action(action, check.values, expected)
    except services.ActionConflict as conflict:
        db.session.rollback()
        action = _action_or_404(action_id)
        return _form_page(request.form, [FieldError(str(conflict))], action, 409)
    db.session.commit()
    flash("Zapisano zmiany działania.", "success")
    return redirect(url_for(".detail", action_id=action.id))


@bp.post("/dzialania/<int:action_id>/notatki", endpoint="add_note")
def add_note(action_id: int) -> ResponseReturnValue:
    """Add a progress note (analysts too)."""
    action = _action_or_404(action_id)
    body, errors = services.check_note(request.form.get("body", ""))
    if errors:
        return _detail_page(action, request.form.get("body", ""), errors, 422)
    services.add_note(action, body, current_user.id)
    db.session.commit()
    flash("Dodano notatkę.", "success")
    return redirect(url_for(".detail", action_id=action.id) + "#notatki")


def _values_of(action: Action) -> MultiDict[str, str]:
    values: MultiDict[str, str] = MultiDict(
        {
            "title": action.title,
            "description": action.description,
            "kind": action.kind,
            "responsible_user_id": str(action.responsible_user_id or ""),
            "responsible_text": action.responsible_text,
            "planned_start": action.planned_start.isoformat() if action.planned_start else "",
            "due_date": action.due_date.isoformat() if action.due_date else "",
            "implemented_on": action.implemented_on.isoformat() if action.implemented_on else "",
            "status": action.status,
            "abandon_reason": action.abandon_reason,
            "effect_window_days": str(action.effect_window_days),
            "version": str(action.version),
            "published": "1" if action.published else "",
        }
    )
    values.setlist("item_keys", list(action.item_keys))
    values.setlist("department_ids", [str(d) for d in action.department_ids])
    return values


@bp.get("/dzialania/eksport.<fmt>", endpoint="export")
def export_register(fmt: str) -> ResponseReturnValue:
    """The register as CSV (Polish Excel) or XLSX."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    today = _office().today()
    export = register_export(today, current_user.department_scope)
    if fmt == "csv":
        chunks, mimetype = csv_chunks(export), "text/csv"
    else:
        chunks, mimetype = file_chunks(write_xlsx(export, "Działania")), XLSX_MIMETYPE
    response = current_app.response_class(stream_with_context(chunks), mimetype=mimetype)
    filename = f"dzialania-{_office().slug}-{today}.{fmt}"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
