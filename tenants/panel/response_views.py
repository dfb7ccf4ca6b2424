"""Individual responses: the list with a comment search, one response, and the exports."""

from __future__ import annotations

from collections.abc import Iterator

from flask import abort, current_app, render_template, request, stream_with_context

from saas_platform.core.spreadsheets import XLSX_MIMETYPE, csv_chunks, file_chunks, write_xlsx
from saas_platform.core.tenancy import current_tenant
from saas_platform.core.web import page_number
from tenants.panel.blueprint import bp
from tenants.panel.exports import build_export, export_filename
from tenants.panel.response_forms import SEARCH_ARGS, SORT_ARGS, ChosenSearch, parse_search
from tenants.survey import responses
from tenants.survey.filters import FILTER_ARGS, ChosenFilters, parse_filters

LIST_ARGS = (*FILTER_ARGS, *SEARCH_ARGS, *SORT_ARGS, "strona")


@bp.get("/odpowiedzi", endpoint="responses")
def responses_list():
    """The filtered responses, newest first (or sorted by a column), page by page, searchable
    by comment, score and low ratings."""
    chosen = parse_filters(request.args, current_tenant.today())
    searched = parse_search(request.args)
    page = responses.responses_page(
        chosen.filters, searched.search, page_number(), searched.sort
    )
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
    detail = responses.response_detail(response_id)
    if detail is None:
        abort(404)
    back = {name: request.args[name] for name in LIST_ARGS if request.args.get(name)}
    return render_template("panel/response_detail.html", detail=detail, back_args=back)


def _export_filters() -> tuple[ChosenFilters, ChosenSearch]:
    chosen = parse_filters(request.args, current_tenant.today())
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


@bp.get("/eksport.csv")
def export_csv():
    """The filtered responses as CSV, streamed batch by batch from a server-side cursor."""
    chosen, searched = _export_filters()
    export = build_export(chosen.filters, searched.search, current_tenant.timezone)
    return _download(
        stream_with_context(csv_chunks(export)),
        "text/csv",  # Werkzeug adds "; charset=utf-8" to a text/* type itself
        export_filename(current_tenant.slug, chosen.filters, "csv"),
    )


@bp.get("/eksport.xlsx")
def export_xlsx():
    """The filtered responses as an Excel workbook, written to a temporary file, then streamed."""
    chosen, searched = _export_filters()
    workbook = write_xlsx(build_export(chosen.filters, searched.search, current_tenant.timezone))
    return _download(
        file_chunks(workbook),
        XLSX_MIMETYPE,
        export_filename(current_tenant.slug, chosen.filters, "xlsx"),
    )
