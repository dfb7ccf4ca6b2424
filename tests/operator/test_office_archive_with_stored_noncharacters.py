"""Security review, finding 1: a comment with U+FFFE made the operator's ZIP export (which
holds the XLSX) answer 500; rows stored before the text policy must still export."""

from __future__ import annotations

import io
import zipfile

from openpyxl import load_workbook

from tests.exports.test_exports_with_stored_noncharacters import store_past_the_form
from tests.operator.signing_in import signed_in_operator


def test_a_response_stored_with_a_noncharacter_still_exports_in_the_office_archive(
    app, two_offices, client_for, complete_answers, in_office
):
    wolomin, _ = two_offices
    store_past_the_form(wolomin, client_for, complete_answers, in_office)
    operator = signed_in_operator(app, client_for)
    archive = operator.get("/operator/urzedy/wolomin/eksport")
    assert archive.status_code == 200 and archive.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.get_data())) as zipped:
        workbook = load_workbook(io.BytesIO(zipped.read("odpowiedzi.xlsx")), read_only=True)
        header, row = list(workbook["Odpowiedzi"].iter_rows(values_only=True))
        assert row[header.index("wydział")] == "Wydział Podatków"
        assert "Dobra\uffff obsługa" in zipped.read("odpowiedzi.csv").decode("utf-8")
