"""Individual responses: the list with a comment search, one response, and the exports."""

from __future__ import annotations

from collections.abc import Iterator

from flask import abort, current_app, render_template, request, stream_with_context

from saas_platform.core.spreadsheets import XLSX_MIMETYPE, csv_chunks, file_chunks, write_xlsx
from saas_platform.core.tenancy import current_tenant
from saas_platform.core.text import search_text
from saas_platform.core.web import page_number
from tenants.panel.blueprint import bp
from tenants.panel.exports import build_export, export_filename
from tenants.survey import responses
from tenants.survey.filters import FILTER_ARGS, ChosenFilters, parse_filters

SEARCH_MAX_LENGTH = 200
LIST_ARGS = (*FILTER_ARGS, "q", "komentarz", "strona")


def _search() -> responses.ResponseSearch:
    return responses.ResponseSearch(
        text=search_text(request.args.get("q") or "", SEARCH_MAX_LENGTH),
        with_comment=request.args.get("komentarz") == "1",
    )


def _search_args(search: responses.ResponseSearch) -> dict[str, str]:
    args = {"q": search.text} if search.text else {}
    if search.with_comment:
        args["komentarz"] = "1"
    return args


@bp.get("/odpowiedzi", endpoint="responses")
def responses_list():
    """The filtered responses, newest first, page by page, searchable by comment."""
    chosen = parse_filters(request.args, current_tenant.today())
    search = _search()
    page = responses.responses_page(chosen.filters, search, page_number())
    html = render_template(
        "panel/responses.html",
        chosen=chosen,
        search=search,
        page=page,
        list_args={**chosen.args, **_search_args(search)},
    )
    return html, 400 if chosen.errors else 200


@bp.get("/odpowiedzi/<int:response_id>")
def response_detail(response_id: int):
    """One response with every answer, labelled as the resident saw it."""
    detail = responses.response_detail(response_id)
    if detail is None:
        abort(404)
    back = {name: request.args[name] for name in LIST_ARGS if request.args.get(name)}
    return render_template("panel/response_detail.html", detail=detail, back_args=back)


def _export_filters() -> tuple[ChosenFilters, responses.ResponseSearch]:
    chosen = parse_filters(request.args, current_tenant.today())
    if chosen.errors:
        abort(400, description="Nie przygotowano pliku: " + " ".join(chosen.errors.values()))
    return chosen, _search()


def _download(chunks: Iterator[bytes], mimetype: str, filename: str):
    # no-store, like every staff page (saas_platform.core.web.private_pages)
    response = current_app.response_class(chunks, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/eksport.csv")
def export_csv():
    """The filtered responses as CSV, streamed batch by batch from a server-side cursor."""
    chosen, search = _export_filters()
    export = build_export(chosen.filters, search, current_tenant.timezone)
    return _download(
        stream_with_context(csv_chunks(export)),
        "text/csv",  # Werkzeug adds "; charset=utf-8" to a text/* type itself
        export_filename(current_tenant.slug, chosen.filters, "csv"),
    )


@bp.get("/eksport.xlsx")
def export_xlsx():
    """The filtered responses as an Excel workbook, written to a temporary file, then streamed."""
    chosen, search = _export_filters()
    workbook = write_xlsx(build_export(chosen.filters, search, current_tenant.timezone))
    return _download(
        file_chunks(workbook),
        XLSX_MIMETYPE,
        export_filename(current_tenant.slug, chosen.filters, "xlsx"),
    )
