"""The resident survey: show the form, take it back, say thank you."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qsl

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.datastructures import MultiDict

from saas_platform.db import db
from saas_platform.extensions import csrf
from saas_platform.tenancy import current_tenant
from saas_platform.tenancy.resolver import require_tenant_site
from tenants.survey.definition import VersionDef, live_version_id, published_version
from tenants.survey.forms import RESIDENT_CHANNELS, FieldError, check_submission
from tenants.survey.services import active_departments, submit_response

bp = Blueprint("survey", __name__)
bp.before_request(require_tenant_site)

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


def _unavailable():
    abort(make_response(render_template("survey/unavailable.html"), 503))


def _live_version_or_unavailable() -> VersionDef:
    if not current_tenant.is_active:
        _unavailable()
    version_id = live_version_id()
    version = published_version(version_id) if version_id else None
    if version is None:
        _unavailable()
    return version


def _render_form(version: VersionDef, values: MultiDict, errors: list[FieldError], status=200):
    channel = values.get("kanal") or request.args.get("kanal", "web")
    return (
        render_template(
            "survey/form.html",
            version=version,
            departments=active_departments(),
            values=values,
            errors=errors,
            channel=channel if channel in RESIDENT_CHANNELS else "web",
            submission_key=values.get("submission") or str(uuid.uuid4()),
        ),
        status,
    )


def _posted_form() -> MultiDict:
    """The posted body as a MultiDict; refuses other content types and broken UTF-8."""
    if request.mimetype != FORM_CONTENT_TYPE:
        abort(415)
    raw = request.get_data(cache=True)
    try:
        pairs = parse_qsl(
            raw.decode("ascii"), keep_blank_values=True, encoding="utf-8", errors="strict"
        )
    except UnicodeDecodeError:
        abort(400, description="Formularz zawiera znaki, których nie da się odczytać (UTF-8).")
    return MultiDict(pairs)


def survey_page():
    """GET shows the live survey; POST stores a response and redirects to the thank-you page."""
    version = _live_version_or_unavailable()
    if request.method == "GET":
        return _render_form(version, MultiDict(), [])

    form = _posted_form()
    csrf.protect()
    if form.get("website"):
        # The honeypot: invisible to people, irresistible to form-filling bots.
        abort(400, description="Nie udało się przyjąć ankiety.")
    posted_version = form.get("version", "")
    answered = published_version(int(posted_version)) if posted_version.isdigit() else None
    if answered is None:
        error = FieldError("Ta wersja ankiety nie jest już dostępna. Wypełnij aktualną ankietę.")
        return _render_form(version, MultiDict(), [error], status=422)

    departments = frozenset(d.id for d in active_departments())
    check = check_submission(
        answered, form, departments, current_app.config["OPEN_TEXT_MAX_LENGTH"]
    )
    if check.errors:
        return _render_form(answered, form, check.errors, status=422)
    submit_response(current_tenant.id, current_tenant.timezone, answered, check.submission)
    db.session.commit()
    return redirect(url_for("survey.thank_you", kanal=check.submission.channel), code=303)


@bp.get("/dziekujemy")
def thank_you():
    """Shown after a stored response (and after a repeated one, which stored nothing)."""
    _live_version_or_unavailable()
    channel = request.args.get("kanal", "web")
    return render_template(
        "survey/thanks.html", channel=channel if channel in RESIDENT_CHANNELS else "web"
    )


@bp.get("/logo")
def logo():
    """The office's logo, re-encoded on upload, so it is safe to serve as is."""
    if not current_tenant.logo:
        abort(404)
    response = current_app.response_class(
        current_tenant.logo, mimetype=current_tenant.logo_mime_type
    )
    response.cache_control.max_age = 3600
    return response
