"""The action register's CSV and XLSX: the response exports' conventions (Polish Excel CSV,
formulas neutralised, XML-forbidden characters dropped), and only the office's own actions."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlalchemy import update

from saas_platform.core.db import db
from tenants.actions.models import Action


def _csv_rows(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def test_the_register_exports_as_csv_and_xlsx_with_formulas_neutralised(
    two_offices, logged_in, make_action
):
    wolomin, sierpc = two_offices
    make_action(wolomin, title='=HYPERLINK("http://zlo.example")', responsible_text="@SUM(A1)")
    make_action(sierpc, title="Plan Sierpca")
    analyst = logged_in(wolomin, "analyst")

    response = analyst.get("/panel/dzialania/eksport.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'filename="dzialania-wolomin-' in response.headers["Content-Disposition"]
    rows = _csv_rows(response)
    assert rows[0][:5] == ["id", "tytuł", "opis", "rodzaj", "stan"]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["tytuł"] == '\'=HYPERLINK("http://zlo.example")'
    assert row["odpowiada"] == "'@SUM(A1)"
    assert row["rodzaj"] == "naprawcze" and row["stan"] == "planowane"
    assert row["pytania"].startswith("Czas oczekiwania")
    assert row["termin"] == "2026-03-31"

    workbook = load_workbook(io.BytesIO(analyst.get("/panel/dzialania/eksport.xlsx").get_data()))
    sheet = workbook["Działania"]
    assert sheet.max_row == 2
    header = [cell.value for cell in sheet[1]]
    title = sheet.cell(row=2, column=header.index("tytuł") + 1)
    assert title.value == '\'=HYPERLINK("http://zlo.example")' and title.data_type == "s"
    assert analyst.get("/panel/dzialania/eksport.pdf").status_code == 404


def test_a_stored_noncharacter_does_not_break_the_xlsx(
    two_offices, logged_in, make_action, in_office
):
    wolomin, _ = two_offices
    action_id = make_action(wolomin)
    with in_office(wolomin):
        # Stored past the text policy (an old row, a direct write): the export must still open.
        db.session.execute(
            update(Action).where(Action.id == action_id).values(description="zły\ufffeznak")
        )
        db.session.commit()
    admin = logged_in(wolomin, "admin")
    response = admin.get("/panel/dzialania/eksport.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data()))["Działania"]
    header = [cell.value for cell in sheet[1]]
    assert sheet.cell(row=2, column=header.index("opis") + 1).value == "złyznak"
