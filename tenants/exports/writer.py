"""The filtered responses as a spreadsheet: CSV for Polish Excel and XLSX. The one writer of
the responses' exports: the panel's streamed download, a background export's worker and the
operator's office archive all take their rows and their file from here.

One row per response. Neither format holds all responses in memory: the responses are read
through a server-side cursor in batches of ``EXPORT_BATCH``, with the answers of a batch fetched
by one IN query; CSV goes out batch by batch, XLSX is written by openpyxl's write-only workbook
to a temporary file that is then sent from disk in chunks (``saas_platform.core.spreadsheets``,
which every export shares).

Values are what the resident saw (option labels, "Tak"/"Nie", "nie dotyczy"), except ratings,
which stay numbers 1–5 so that a spreadsheet can average them. The "wynik" column is the
response's own score (0–100, one decimal, as the response list shows it; empty when it rated
nothing).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

from sqlalchemy import select

from saas_platform.core.db import db
from saas_platform.core.spreadsheets import (
    XLSX_MIMETYPE,
    Cell,
    Export,
    csv_chunks,
    file_chunks,
    neutralise,
    write_xlsx,
)
from tenants.survey.definition import NOT_APPLICABLE, QuestionDef, VersionDef
from tenants.survey.filters import Filters
from tenants.survey.models import Answer, Response
from tenants.survey.responses import (
    ResponseSearch,
    channel_label,
    department_names,
    filtered_conditions,
    value_label,
    version_ids,
    versions_newest_first,
)

EXPORT_BATCH = 1000
# The day only: a response keeps its time of day for 48 hours (survey.retention), and no
# export shows it even then.
FIXED_HEADERS = ("id", "data", "kanał", "wydział", "wynik")
NOT_APPLICABLE_TEXT = "nie dotyczy"
# Werkzeug adds "; charset=utf-8" to a text/* type itself
MIMETYPES = {"csv": "text/csv", "xlsx": XLSX_MIMETYPE}


def export_filename(slug: str, filters: Filters, extension: str) -> str:
    """The download's file name: the office and the period."""
    return f"odpowiedzi-{slug}-{filters.date_from}-{filters.date_to}.{extension}"


def file_in_chunks(export: Export, file_format: str) -> Iterator[bytes]:
    """The file of ``export`` ("csv" or "xlsx") in chunks. CSV is made batch by batch as the
    chunks are read (a streamed download keeps the request's context for it); XLSX is written
    whole to a temporary file here, then read from it."""
    if file_format == "csv":
        return csv_chunks(export)
    return file_chunks(write_xlsx(export))


def question_columns(newest_first: list[VersionDef]) -> list[tuple[str, str]]:
    """(key, "key – text") of every question of the versions, in the newest version's order,
    then keys only older versions have. The department has its own column."""
    columns: dict[str, str] = {}
    for version in newest_first:
        for question in version.questions.values():
            if question.kind != "department" and question.key not in columns:
                columns[question.key] = f"{question.key} – {question.text}"
    return list(columns.items())


def build_export(
    filters: Filters, search: ResponseSearch, timezone: str, batch_size: int | None = None
) -> Export:
    """The export of the filtered responses, oldest first, read ``batch_size`` at a time."""
    versions = versions_newest_first(version_ids(filters, search))
    columns = question_columns(versions)
    header = [*FIXED_HEADERS, *(title for _, title in columns)]
    keys = [key for key, _ in columns]
    by_id = {version.id: version for version in versions}
    batches = _batches(filters, search, timezone, keys, by_id, batch_size or EXPORT_BATCH)
    return Export(header, batches)


def _batches(
    filters: Filters,
    search: ResponseSearch,
    timezone: str,
    keys: list[str],
    versions: dict[int, VersionDef],
    batch_size: int,
) -> Iterator[list[list[Cell]]]:
    names = department_names()
    responses = db.session.execute(
        select(
            Response.id,
            Response.answered_on,
            Response.channel,
            Response.department_id,
            Response.version_id,
            Response.score,
        )
        .where(*filtered_conditions(filters, search))
        .order_by(Response.answered_on, Response.id)
        .execution_options(yield_per=batch_size)  # a server-side cursor on PostgreSQL
    )
    for batch in responses.partitions():
        answers: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for response_id, key, value in db.session.execute(
            select(Answer.response_id, Answer.question_key, Answer.value)
            .where(Answer.response_id.in_([row.id for row in batch]))
            .order_by(Answer.id)
        ):
            answers[response_id][key].append(value)
        rows = []
        for response in batch:
            version = versions.get(response.version_id)
            given = answers.get(response.id, {})
            rows.append(
                [
                    response.id,
                    response.answered_on,
                    channel_label(response.channel),
                    names.get(response.department_id, "") if response.department_id else "",
                    _score(response.score),
                    *(_cell(version, key, given.get(key, [])) for key in keys),
                ]
            )
        yield [[neutralise(cell) for cell in row] for row in rows]


def _score(score: Decimal | float | None) -> Cell:
    """The stored score as a one-decimal number (SQLite may hand back a float)."""
    return "" if score is None else Decimal(str(score)).quantize(Decimal("0.1"))


def _cell(version: VersionDef | None, key: str, values: list[str]) -> Cell:
    question = version.questions.get(key) if version else None
    if not values:
        return ""
    if question is None:  # not asked in this response's version
        return ", ".join(values)
    if question.kind == "rating":
        return NOT_APPLICABLE_TEXT if values[0] == NOT_APPLICABLE else int(values[0])
    return ", ".join(_ordered_labels(question, values))


def _ordered_labels(question: QuestionDef, values: list[str]) -> list[str]:
    order = {value: rank for rank, (value, _) in enumerate(question.choices)}
    return [value_label(question, v) for v in sorted(values, key=lambda v: order.get(v, 99))]
