"""Typing in paper surveys (admins and analysts alike)."""

from __future__ import annotations

import uuid

from flask import current_app, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from saas_platform.core.db import db
from saas_platform.core.tenancy import current_tenant
from tenants.panel.blueprint import bp, whole_office_required
from tenants.survey import paper
from tenants.survey.definition import VersionDef, live_version_id, published_version
from tenants.survey.departments import active_departments
from tenants.survey.forms import FieldError


def _render(version: VersionDef | None, values: MultiDict, errors: list[FieldError], status=200):
    return (
        render_template(
            "panel/paper_entry.html",
            version=version,
            departments=active_departments(),
            values=values,
            errors=errors,
            date_field=paper.DATE_FIELD,
            earliest=paper.EARLIEST_PAPER_DATE,
            today=current_tenant.today(),
            submission_key=values.get("submission") or str(uuid.uuid4()),
        ),
        status,
    )


@bp.route("/ankieta-papierowa", methods=["GET", "POST"])
@whole_office_required
def paper_entry():
    """The live survey as a form for staff to copy a paper one into, one after another."""
    version_id = live_version_id()
    live = published_version(version_id) if version_id else None
    if live is None:  # nothing published yet: nothing to copy a paper form into
        return _render(None, MultiDict(), [], 409 if request.method == "POST" else 200)
    if request.method == "GET":
        return _render(live, MultiDict(), [])

    entry = paper.enter_paper_response(
        current_tenant._get_current_object(),
        request.form,
        current_app.config["OPEN_TEXT_MAX_LENGTH"],
    )
    if entry.errors:
        if entry.version is None:  # no such version: start again on the live one
            return _render(live, MultiDict(), entry.errors, 422)
        return _render(entry.version, request.form, entry.errors, 422)
    db.session.commit()
    if entry.already_stored:
        flash("Ta ankieta papierowa była już zapisana; nie zapisano jej drugi raz.", "info")
    else:
        flash("Zapisano ankietę papierową. Możesz przepisać następną.", "success")
    return redirect(url_for("panel.paper_entry"), code=303)
