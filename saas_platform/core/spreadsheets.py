"""Spreadsheets people download: CSV for Polish Excel and XLSX, written the same way for every
export (the responses, an office's archive, the action register).

- A text cell a spreadsheet would run as a formula gets a leading apostrophe (``neutralise``:
  CSV injection), and an XLSX text cell is always a string cell.
- XLSX text passes through ``xml_safe``: a text stored before the text policy still exports.
- CSV is UTF-8 with a BOM, semicolons and CRLF; XLSX goes to a temporary file (on disk when
  large) that is sent in chunks. Neither holds all rows in memory: rows come in batches.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from saas_platform.core.text import xml_safe

FILE_CHUNK = 64 * 1024
SPOOL_LIMIT = 4 * 1024 * 1024  # a small workbook stays in memory, a large one goes to disk
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A cell starting with one of these is a formula to Excel and LibreOffice (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# A Decimal is a number with a fixed number of decimals (a score: 62.5), written as such.
Cell = str | int | Decimal | date | datetime | None


@dataclass(frozen=True)
class Export:
    """The header and a generator of row batches; ``batches`` reads the database lazily."""

    header: list[str]
    batches: Iterator[list[list[Cell]]]


def neutralise(value: Cell) -> Cell:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(*cells: Cell) -> list[Cell]:
    """One row, every cell through ``neutralise``."""
    return [neutralise(cell) for cell in cells]


def json_cell(value: Any) -> str:
    """A structure (an audit entry's details, its values before and after) as readable JSON;
    nothing as an empty cell."""
    return json.dumps(value, ensure_ascii=False) if value else ""


# -- CSV -------------------------------------------------------------------------------------


def csv_chunks(export: Export) -> Iterator[bytes]:
    """UTF-8 with BOM, semicolons, CRLF: what Excel in Polish opens with a double click."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(export.header)
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    for batch in export.batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([_csv_text(cell) for cell in row] for row in batch)
        yield buffer.getvalue().encode("utf-8")


def _csv_text(cell: Cell) -> str | int | None:
    if isinstance(cell, Decimal):
        return str(cell).replace(".", ",")  # the decimal comma Polish Excel reads as a number
    if isinstance(cell, datetime):
        return cell.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(cell, date):
        return cell.isoformat()
    return cell


# -- XLSX ------------------------------------------------------------------------------------


def write_xlsx(export: Export, sheet_title: str = "Odpowiedzi") -> IO[bytes]:
    """The workbook in a temporary file (on disk when large), positioned at its start."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    sheet.append([_header_cell(sheet, title, bold) for title in export.header])
    for batch in export.batches:
        for row in batch:
            sheet.append([_xlsx_cell(sheet, cell) for cell in row])
    # Not a ``with``: the caller streams the file and closes it (``file_chunks``).
    target = tempfile.SpooledTemporaryFile(max_size=SPOOL_LIMIT)  # noqa: SIM115
    workbook.save(target)
    target.seek(0)
    return target


def _header_cell(sheet: Any, title: str, font: Font) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=xml_safe(title))
    cell.font = font
    return cell


def _xlsx_cell(sheet: Any, value: Cell) -> Any:
    if isinstance(value, str):
        # A string cell, always: openpyxl would otherwise store "=..." as a formula. Without
        # what XML forbids: a text stored before the text policy (or past it) still exports.
        cell = WriteOnlyCell(sheet, value=xml_safe(value))
        cell.data_type = "s"
        return cell
    if isinstance(value, Decimal):
        cell = WriteOnlyCell(sheet, value=float(value))
        decimals = max(0, -int(value.as_tuple().exponent))
        cell.number_format = "0." + "0" * decimals if decimals else "0"
        return cell
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    return value


def file_chunks(file: IO[bytes], size: int = FILE_CHUNK) -> Iterator[bytes]:
    """Read ``file`` to its end in chunks, then close it (deleting a temporary file)."""
    try:
        while chunk := file.read(size):
            yield chunk
    finally:
        file.close()
