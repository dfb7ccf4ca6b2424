"""Individual responses: the list with its search, filters and order, one response, the
exports (streamed, or made in the background when large) and a background export's page."""

from __future__ import annotations

from collections.abc import Iterator

from flask import (
    abort,
    current_app,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from saas_platform.core.db import db
from saas_platform.core.tenancy import current_tenant
from saas_platform.core.web import page_number
from tenants.exports import services as exports
from tenants.exports.models import ExportJob
from tenants.exports.tasks import send_export_task
from tenants.exports.writer import MIMETYPES, build_export, export_filename, file_in_chunks
from tenants.panel.blueprint import bp
from tenants.survey import responses
from tenants.survey.filters import FILTER_ARGS, ChosenFilters, parse_filters
from tenants.survey.response_search import (
    SEARCH_ARGS,
    SORT_ARGS,
    ChosenSearch,
    parse_search,
    search_args,
)
from tenants.survey.responses import MAX_ID

LIST_ARGS = (*FILTER_ARGS, *SEARCH_ARGS, *SORT_ARGS, "strona")
REFRESH_SECONDS = 3


@bp.get("/odpowiedzi", endpoint="responses")
def responses_list():
    """The filtered responses, newest first (or sorted by a column), page by page, searchable
    by comment, score and low ratings. A list compares with no other period: "porownanie" in
    its address is left out, neither applied nor refused."""
    without_comparison = {k: v for k, v in request.args.items() if k != "porownanie"}
    chosen = parse_filters(
        without_comparison, current_tenant.today(), current_user.department_scope
    )
    searched = parse_search(request.args)
    page = responses.responses_page(chosen.filters, searched.search, page_number(), searched.sort)
    html = render_template(
        "panel/responses.html",
        chosen=chosen,
        searched=searched,
        search=searched.search,
        errors={**chosen.errors, **searched.errors},
        page=page,
        list_args={**chosen.args, **searched.args},
        export_args={**chosen.args, **searched.args},
    )
    return html, 400 if chosen.errors or searched.errors else 200


@bp.get("/odpowiedzi/<int:response_id>")
def response_detail(response_id: int):
    """One response with every answer, labelled as the resident saw it."""
    detail = responses.response_detail(response_id, current_user.department_scope)
    if detail is None:
        abort(404)
    back = {name: request.args[name] for name in LIST_ARGS if request.args.get(name)}
    return render_template("panel/response_detail.html", detail=detail, back_args=back)


def _export_filters() -> tuple[ChosenFilters, ChosenSearch]:
    chosen = parse_filters(request.args, current_tenant.today(), current_user.department_scope)
    searched = parse_search(request.args)
    errors = {**chosen.errors, **searched.errors}
    if errors:
        abort(400, description="Nie przygotowano pliku: " + " ".join(errors.values()))
    return chosen, searched


def _download(chunks: Iterator[bytes], mimetype: str, filename: str):
    # no-store, like every staff page (saas_platform.core.web.private_pages)
    response = current_app.response_class(chunks, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _in_background(file_format: str, chosen: ChosenFilters, searched: ChosenSearch):
    """A large export: its row, its task after the commit, and the page that follows it;
    None when the export is small enough to stream now."""
    if not exports.over_threshold(chosen, searched.search, file_format):
        return None
    args = exports.job_args(chosen, search_args(searched.search))
    job, new = exports.request_export(file_format, args, current_user.id)
    db.session.commit()
    if new:
        send_export_task(job)  # a lost task is sent again by the sweeper
    return redirect(url_for("panel.export_job", job_id=job.id), 303)


def _export(file_format: str):
    chosen, searched = _export_filters()
    if (background := _in_background(file_format, chosen, searched)) is not None:
        return background
    export = build_export(chosen.filters, searched.search, current_tenant.timezone)
    chunks = file_in_chunks(export, file_format)
    if file_format == "csv":  # read from the database as it is sent (XLSX is on disk by now)
        chunks = stream_with_context(chunks)
    return _download(
        chunks,
        MIMETYPES[file_format],
        export_filename(current_tenant.slug, chosen.filters, file_format),
    )


@bp.get("/eksport.csv")
def export_csv():
    """The filtered responses as CSV, streamed batch by batch from a server-side cursor; a
    large export is made in the background instead."""
    return _export("csv")


@bp.get("/eksport.xlsx")
def export_xlsx():
    """The filtered responses as an Excel workbook, written to a temporary file, then
    streamed; a large export is made in the background instead."""
    return _export("xlsx")


def _job_or_404(job_id: int) -> ExportJob:
    job = db.session.get(ExportJob, job_id) if 0 < job_id <= MAX_ID else None
    # Another office's export is invisible, as if it did not exist; so is another member's
    # to a manager (it may hold other departments' responses).
    if job is None or not exports.visible_to(job, current_user):
        abort(404)
    return job


@bp.get("/eksporty/<int:job_id>")
def export_job(job_id: int):
    """A background export: its progress while it is made (static/live.js re-reads it; a
    link does without JavaScript), then the link to the file."""
    job = _job_or_404(job_id)
    return render_template("panel/export_job.html", job=job, refresh_seconds=REFRESH_SECONDS)


@bp.get("/eksporty/<int:job_id>/plik")
def export_job_file(job_id: int):
    """The finished file of a background export."""
    job = _job_or_404(job_id)
    if job.status != "done":
        abort(404)
    return _download(iter((job.content,)), MIMETYPES[job.format], job.filename)
